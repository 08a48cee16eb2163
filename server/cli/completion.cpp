// `fazt completion bash|zsh`: shell completion written from the command table itself (the
// groups, their commands and each command's options, as its --help lists them), so it never
// drifts from what `fazt` accepts.

#include "cli/cli.h"
#include "cli/command.h"
#include "config/settings.h"

#include <QMap>
#include <QRegularExpression>

namespace fazt::cli {

namespace {

using CommandTable = std::function<const QList<Command> &()>;

// Every option of a command, as `--name`, from the help QCommandLineParser writes for it:
// the options a user sees are exactly the ones completed.
QStringList optionsOf(const Command &command) {
    QCommandLineParser parser;
    parser.addOption({{QStringLiteral("h"), QStringLiteral("help")}, QString()});
    parser.addOption({{QStringLiteral("q"), QStringLiteral("quiet")}, QString()});
    command.options(parser);
    static const QRegularExpression option(QStringLiteral("(?:^|, )(--[A-Za-z0-9][A-Za-z0-9-]*)"));
    QStringList names;
    for (const QString &line : parser.helpText().split(u'\n')) {
        if (!line.startsWith(QLatin1String("  -")))
            continue;
        for (auto it = option.globalMatch(line.section(QLatin1String("  "), 1, 1)); it.hasNext();)
            names.append(it.next().captured(1));
    }
    names.removeDuplicates();
    return names;
}

// The key a script switches on: "server init", or "deploy" for a command without a name.
QString keyOf(const Command &c) {
    return c.name.isEmpty() ? c.group : c.group + u' ' + c.name;
}

// The words an argument offers, by the name its usage line gives it: a KEY is a setting that
// `fazt config set` takes (the settings registry's keys).
QStringList argumentWordsOf(const Command &command) {
    static const QRegularExpression key(QStringLiteral("(^|[\\[ ])KEY\\b"));
    return key.match(command.arguments).hasMatch() ? Setting::settableKeys() : QStringList();
}

struct Tree {
    QStringList groups;               // in the table's order
    QMap<QString, QStringList> names; // group -> its command names (groups with names only)
    QMap<QString, QString> summaries; // key -> summary
    QList<QPair<QString, QStringList>> options; // key -> options
    QMap<QString, QStringList> words;           // key -> the words its arguments offer
};

Tree treeOf(const QList<Command> &commands) {
    Tree tree;
    for (const Command &c : commands) {
        if (!tree.groups.contains(c.group))
            tree.groups.append(c.group);
        if (!c.name.isEmpty())
            tree.names[c.group].append(c.name);
        tree.summaries.insert(keyOf(c), c.summary);
        tree.options.append({keyOf(c), optionsOf(c)});
        if (const QStringList words = argumentWordsOf(c); !words.isEmpty())
            tree.words.insert(keyOf(c), words);
    }
    return tree;
}

QString bashScript(const Tree &tree) {
    QString s =
        QStringLiteral("# bash completion for fazt, written by 'fazt completion bash'.\n"
                       "# Load it now:  source <(fazt completion bash)\n"
                       "# Or for good:  fazt completion bash > "
                       "~/.local/share/bash-completion/completions/fazt\n"
                       "_fazt() {\n"
                       "    local cur=${COMP_WORDS[COMP_CWORD]} key=${COMP_WORDS[1]} opts= words=\n"
                       "    if [[ $COMP_CWORD -eq 1 ]]; then\n"
                       "        COMPREPLY=($(compgen -W \"%1\" -- \"$cur\"))\n"
                       "        return\n"
                       "    fi\n"
                       "    case $key in\n")
            .arg(tree.groups.join(u' '));
    for (auto it = tree.names.begin(); it != tree.names.end(); ++it)
        s += QStringLiteral("    %1)\n"
                            "        if [[ $COMP_CWORD -eq 2 ]]; then\n"
                            "            COMPREPLY=($(compgen -W \"%2\" -- \"$cur\"))\n"
                            "            return\n"
                            "        fi\n"
                            "        key=\"$key ${COMP_WORDS[2]}\" ;;\n")
                 .arg(it.key(), it.value().join(u' '));
    s += QStringLiteral("    esac\n    case $key in\n");
    for (const auto &[key, options] : tree.options)
        s += QStringLiteral("    \"%1\") opts=\"%2\" words=\"%3\" ;;\n")
                 .arg(key, options.join(u' '), tree.words.value(key).join(u' '));
    s += QStringLiteral("    esac\n"
                        "    if [[ $cur == -* ]]; then\n"
                        "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
                        "    elif [[ -n $words ]]; then\n"
                        "        COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
                        "    fi\n"
                        "}\n"
                        "complete -o default -F _fazt fazt\n");
    return s;
}

QString zshQuoted(QString text) {
    return u'\'' + text.replace(u'\'', QLatin1String("'\\''")) + u'\'';
}

QString zshScript(const Tree &tree) {
    QStringList groups;
    for (const QString &group : tree.groups)
        groups.append(zshQuoted(
            group + u':' + tree.summaries.value(group, QStringLiteral("%1 commands").arg(group))));
    QString s = QStringLiteral("#compdef fazt\n"
                               "# zsh completion for fazt, written by 'fazt completion zsh'.\n"
                               "# Load it now:  source <(fazt completion zsh)\n"
                               "# Or for good:  fazt completion zsh > \"${fpath[1]}/_fazt\"\n"
                               "_fazt() {\n"
                               "    local key=$words[2]\n"
                               "    local -a commands opts values\n"
                               "    if (( CURRENT == 2 )); then\n"
                               "        commands=(%1)\n"
                               "        _describe 'command' commands\n"
                               "        return\n"
                               "    fi\n"
                               "    case $key in\n")
                    .arg(groups.join(u' '));
    for (auto it = tree.names.begin(); it != tree.names.end(); ++it) {
        QStringList names;
        for (const QString &name : it.value())
            names.append(zshQuoted(name + u':' + tree.summaries.value(it.key() + u' ' + name)));
        s += QStringLiteral("    %1)\n"
                            "        if (( CURRENT == 3 )); then\n"
                            "            commands=(%2)\n"
                            "            _describe 'command' commands\n"
                            "            return\n"
                            "        fi\n"
                            "        key=\"$key $words[3]\" ;;\n")
                 .arg(it.key(), names.join(u' '));
    }
    s += QStringLiteral("    esac\n    case $key in\n");
    for (const auto &[key, options] : tree.options)
        s += QStringLiteral("    %1) opts=(%2) values=(%3) ;;\n")
                 .arg(zshQuoted(key), options.join(u' '), tree.words.value(key).join(u' '));
    s += QStringLiteral("    esac\n"
                        "    if [[ $PREFIX == -* ]]; then\n"
                        "        compadd -- $opts\n"
                        "    elif (( $#values )); then\n"
                        "        compadd -- $values\n"
                        "    else\n"
                        "        _files\n"
                        "    fi\n"
                        "}\n"
                        "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n"
                        "    _fazt \"$@\"\n"
                        "else\n"
                        "    compdef _fazt fazt\n"
                        "fi\n");
    return s;
}

} // namespace

QList<Command> completionCommands(const CommandTable &commands) {
    const auto command = [commands](const char *shell, QString (*script)(const Tree &)) {
        return Command{
            QStringLiteral("completion"),
            QString::fromLatin1(shell),
            QStringLiteral("Print the %1 completion script (e.g. source <(fazt completion %1)).")
                .arg(QLatin1String(shell)),
            QString(),
            [](QCommandLineParser &) {},
            [commands, script](const QCommandLineParser &) {
                out() << script(treeOf(commands())) << Qt::flush;
                return int(Ok);
            }};
    };
    return {command("bash", bashScript), command("zsh", zshScript)};
}

} // namespace fazt::cli
