import QtQuick
import QtQuick.Controls

// A BusyIndicator that is there only while something is under way. Fusion's (Qt 6.4) keeps
// its rotation animator running while the indicator is merely transparent, redrawing the
// window 60 times a second for nothing (1 to 1.5 cores on an idle Sites page); hidden, it
// stops.
BusyIndicator {
    visible: running
    implicitWidth: 24
    implicitHeight: 24
}
