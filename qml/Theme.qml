pragma Singleton
import QtQuick

// Colours the palette has no role for (status, warnings), readable on both palettes.
QtObject {
    property bool dark: false

    readonly property color ok: dark ? "#5fd38d" : "#1e7b34"
    readonly property color warning: dark ? "#ffc266" : "#8a5a00"
    readonly property color danger: dark ? "#ff8a80" : "#b3261e"
    readonly property color muted: dark ? "#a0a4ab" : "#5f6368"
    readonly property color dropHighlight: dark ? "#2d4f7c" : "#d7e7ff"
    readonly property color warningBackground: dark ? "#4a3512" : "#fff4d6"
    readonly property color dangerBackground: dark ? "#4a1f1c" : "#fde7e5"

    readonly property Palette lightPalette: Palette {
        window: "#f5f6f8"; windowText: "#1b1d21"; base: "#ffffff"; alternateBase: "#eef0f3"
        text: "#1b1d21"; button: "#e8eaee"; buttonText: "#1b1d21"; highlight: "#2f6fd6"
        highlightedText: "#ffffff"; link: "#1f5fbf"; mid: "#c4c8cf"; dark: "#9aa0a8"
        light: "#ffffff"; midlight: "#f0f1f4"; shadow: "#6b7078"; placeholderText: "#7a7f87"
        toolTipBase: "#ffffff"; toolTipText: "#1b1d21"
        // The colours above hold for every state; a disabled control must look it.
        disabled.button: "#eef0f3"; disabled.buttonText: "#a3a8b0"; disabled.windowText: "#a3a8b0"
        disabled.text: "#a3a8b0"; disabled.base: "#f0f1f4"; disabled.highlight: "#b8c4d8"
        disabled.highlightedText: "#f5f6f8"; disabled.placeholderText: "#b4b8bf"
    }
    readonly property Palette darkPalette: Palette {
        window: "#1e2025"; windowText: "#e8eaed"; base: "#17181c"; alternateBase: "#24272d"
        text: "#e8eaed"; button: "#2c2f36"; buttonText: "#e8eaed"; highlight: "#4c8df6"
        highlightedText: "#ffffff"; link: "#8ab4f8"; mid: "#3c4048"; dark: "#101114"
        light: "#3a3e46"; midlight: "#2f333a"; shadow: "#000000"; placeholderText: "#8d929a"
        toolTipBase: "#2c2f36"; toolTipText: "#e8eaed"
        disabled.button: "#24262b"; disabled.buttonText: "#646973"; disabled.windowText: "#646973"
        disabled.text: "#646973"; disabled.base: "#1b1c20"; disabled.highlight: "#34465f"
        disabled.highlightedText: "#8d929a"; disabled.placeholderText: "#555a62"
    }
}
