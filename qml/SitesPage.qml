import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtQuick.Dialogs
import Fazt.Console

// The server's sites: create, delete, custom domains, deploy history with rollback, and
// deploys by dropping a folder or archive on a site.
SplitView {
    id: page
    property alias client: sites.client
    required property DeployController deployer
    readonly property alias sites: sites
    readonly property alias folderDialog: folderDialog
    readonly property alias archiveDialog: archiveDialog
    readonly property alias deleteDialog: deleteDialog

    // The drop of a folder or archive on a site's row.
    function dropOnSite(site, url) {
        sites.currentSite = site
        deployer.deploy(site, url)
    }

    SitesModel { id: sites }
    Connections {
        target: page.deployer
        // A deploy that created its site (a drop on the window) selects it; one to a listed
        // site leaves the selection where the user has it.
        function onDeployed(site) {
            if (sites.indexOf(site) < 0)
                sites.currentSite = site
            sites.refresh()
        }
    }

    Pane {
        SplitView.preferredWidth: Math.max(200, page.width * 0.35)
        SplitView.minimumWidth: 180
        padding: 8
        ColumnLayout {
            anchors.fill: parent
            RowLayout {
                Label { text: qsTr("Sites"); font.bold: true; font.pixelSize: 15; Layout.fillWidth: true }
                Spinner { objectName: "sitesBusy"; running: sites.isLoading }
            }
            RowLayout {
                Layout.fillWidth: true
                TextField {
                    id: newSiteField
                    objectName: "newSiteField"
                    Layout.fillWidth: true
                    placeholderText: qsTr("new-site-name")
                    enabled: !!page.client
                    onAccepted: createButton.clicked()
                }
                Button {
                    id: createButton
                    objectName: "createSite"
                    text: qsTr("Create")
                    enabled: newSiteField.text.length > 0
                    onClicked: { sites.createSite(newSiteField.text); newSiteField.text = "" }
                }
            }
            ListView {
                id: siteList
                objectName: "siteList"
                Layout.fillWidth: true
                Layout.fillHeight: true
                clip: true
                model: sites
                // The model holds the selection; the view only shows it (see SitesModel).
                currentIndex: sites.currentIndex
                keyNavigationEnabled: false
                Keys.onUpPressed: sites.selectRow(sites.currentIndex - 1)
                Keys.onDownPressed: sites.selectRow(sites.currentIndex + 1)
                delegate: ItemDelegate {
                    id: siteRow
                    required property int index
                    required property string name
                    required property url url
                    required property var activeDeployId
                    width: ListView.view.width
                    highlighted: ListView.isCurrentItem
                    onClicked: { sites.selectRow(index); siteList.forceActiveFocus() }
                    contentItem: ColumnLayout {
                        spacing: 0
                        Label {
                            text: siteRow.name
                            font.bold: true
                            color: siteRow.highlighted ? palette.highlightedText : palette.windowText
                        }
                        Label {
                            text: siteRow.activeDeployId > 0 ? siteRow.url.toString() : qsTr("nothing deployed yet")
                            font.pixelSize: 11
                            elide: Text.ElideRight
                            Layout.fillWidth: true
                            color: siteRow.highlighted ? palette.highlightedText : Theme.muted
                        }
                    }
                    background: Rectangle {
                        color: drop.containsDrag ? Theme.dropHighlight
                             : siteRow.highlighted ? palette.highlight : "transparent"
                        radius: 3
                    }
                    DropArea {
                        id: drop
                        objectName: "drop_" + siteRow.name
                        anchors.fill: parent
                        keys: ["text/uri-list"]
                        onDropped: (event) => {
                            if (!event.hasUrls)
                                return
                            page.dropOnSite(siteRow.name, event.urls[0])
                            event.accept()
                        }
                    }
                }
                Label {
                    anchors.centerIn: parent
                    width: parent.width - 16
                    visible: siteList.count === 0 && !sites.isLoading
                    wrapMode: Text.Wrap
                    horizontalAlignment: Text.AlignHCenter
                    color: Theme.muted
                    text: page.client ? qsTr("No sites. Create one, or drop a folder on the window.") : qsTr("Select a server.")
                }
            }
            Label {
                text: qsTr("Drop a folder or archive on a site to deploy it.")
                color: Theme.muted
                font.pixelSize: 11
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
        }
    }

    ScrollView {
        SplitView.fillWidth: true
        contentWidth: availableWidth
        clip: true

        ColumnLayout {
            width: parent.width
            spacing: 10

            Label {
                objectName: "sitesError"
                visible: sites.error.length > 0
                text: sites.error
                color: Theme.danger
                wrapMode: Text.Wrap
                Layout.fillWidth: true
                Layout.margins: 12
                padding: 6
                background: Rectangle { color: Theme.dangerBackground; radius: 4 }
            }

            Label {
                visible: sites.currentSite.length === 0
                text: qsTr("Select a site to see its deploys and domains.")
                color: Theme.muted
                Layout.margins: 16
            }

            ColumnLayout {
                visible: sites.currentSite.length > 0
                Layout.fillWidth: true
                Layout.margins: 12
                spacing: 10

                Label {
                    text: sites.currentSite
                    font.bold: true
                    font.pixelSize: 20
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                }
                // Wraps on narrow windows instead of running off the edge.
                Flow {
                    Layout.fillWidth: true
                    spacing: 6
                    Button {
                        text: qsTr("Deploy folder…")
                        enabled: !page.deployer.isBusy
                        objectName: "deployFolder"
                        onClicked: folderDialog.openFor(sites.currentSite)
                    }
                    Button {
                        text: qsTr("Deploy archive…")
                        enabled: !page.deployer.isBusy
                        objectName: "deployArchive"
                        onClicked: archiveDialog.openFor(sites.currentSite)
                    }
                    Button {
                        objectName: "deleteSite"
                        text: qsTr("Delete…")
                        onClicked: deleteDialog.openFor(sites.currentSite)
                    }
                }

                Label {
                    readonly property var active: sites.deploys.find(d => d.isActive)
                    visible: !!active
                    text: active ? "<a href=\"%1\">%1</a>".arg(active.url) : ""
                    textFormat: Text.StyledText
                    linkColor: palette.link
                    onLinkActivated: (link) => Qt.openUrlExternally(link)
                }

                GroupBox {
                    title: qsTr("Deploy history")
                    Layout.fillWidth: true
                    ColumnLayout {
                        anchors.fill: parent
                        RowLayout {
                            Label {
                                text: sites.deploys.length === 1 ? qsTr("1 deploy") : qsTr("%1 deploys").arg(sites.deploys.length)
                                color: Theme.muted
                                Layout.fillWidth: true
                            }
                            Button {
                                objectName: "rollback"
                                text: qsTr("Roll back")
                                enabled: sites.deploys.length > 1 && !sites.deploys[sites.deploys.length - 1].isActive
                                onClicked: sites.rollback()
                                ToolTip.visible: hovered
                                ToolTip.text: qsTr("Serve the deploy before the active one")
                            }
                        }
                        Repeater {
                            model: sites.deploys
                            delegate: RowLayout {
                                id: deployRow
                                required property var modelData
                                Layout.fillWidth: true
                                Label { text: "#" + deployRow.modelData.id; font.bold: deployRow.modelData.isActive; Layout.preferredWidth: 40 }
                                Label { text: deployRow.modelData.createdAt.toLocaleString(Qt.locale(), Locale.ShortFormat); Layout.preferredWidth: 130; elide: Text.ElideRight }
                                Label {
                                    text: qsTr("%1 files · %2").arg(deployRow.modelData.fileCount).arg(Format.bytes(deployRow.modelData.bytes))
                                    color: Theme.muted
                                    Layout.fillWidth: true
                                }
                                Label { visible: deployRow.modelData.isActive; text: qsTr("live"); color: Theme.ok; font.bold: true }
                                Button {
                                    visible: !deployRow.modelData.isActive
                                    text: qsTr("Activate")
                                    flat: true
                                    onClicked: sites.activate(deployRow.modelData.id)
                                }
                            }
                        }
                    }
                }

                GroupBox {
                    title: qsTr("Custom domains")
                    Layout.fillWidth: true
                    ColumnLayout {
                        anchors.fill: parent
                        Label {
                            visible: sites.domains.length === 0
                            text: qsTr("None: the site answers on its name under the server's domain.")
                            color: Theme.muted
                            wrapMode: Text.Wrap
                            Layout.fillWidth: true
                        }
                        Repeater {
                            model: sites.domains
                            delegate: RowLayout {
                                id: domainRow
                                required property var modelData
                                Layout.fillWidth: true
                                Label { text: domainRow.modelData.hostname; Layout.fillWidth: true }
                                Button { text: qsTr("Remove"); flat: true; onClicked: sites.removeDomain(domainRow.modelData.hostname) }
                            }
                        }
                        RowLayout {
                            Layout.fillWidth: true
                            TextField {
                                id: domainField
                                Layout.fillWidth: true
                                placeholderText: "www.example.org"
                                onAccepted: addDomainButton.clicked()
                            }
                            Button {
                                id: addDomainButton
                                text: qsTr("Add domain")
                                enabled: domainField.text.length > 0
                                onClicked: { sites.addDomain(domainField.text); domainField.text = "" }
                            }
                        }
                    }
                }
            }
        }
    }

    ConfirmDialog {
        id: deleteDialog
        objectName: "deleteDialog"
        // The site named in the question is the one deleted, whatever is selected meanwhile.
        property string site
        function openFor(name) { site = name; open() }
        title: qsTr("Delete site")
        acceptText: qsTr("Delete")
        text: qsTr("Delete %1 with all its deploys and domains? Visitors get 404 at once. This cannot be undone.").arg(site)
        onConfirmed: sites.deleteSite(site)
    }
    // Both deploy to the site selected when they were opened.
    FolderDialog {
        id: folderDialog
        property string site
        function openFor(name) { site = name; open() }
        title: qsTr("Deploy a folder to %1").arg(site)
        onAccepted: page.deployer.deploy(site, selectedFolder)
    }
    FileDialog {
        id: archiveDialog
        property string site
        function openFor(name) { site = name; open() }
        title: qsTr("Deploy an archive to %1").arg(site)
        nameFilters: [qsTr("Archives (*.zip *.tar *.tar.gz *.tgz *.tar.zst)"), qsTr("All files (*)")]
        onAccepted: page.deployer.deploy(site, selectedFile)
    }
}
