# Debian packages from CPack (`make package`):
#   fazt          the server and CLI (component server), its systemd units; Depends computed by
#                 dpkg-shlibdeps from the binary, so no GUI or Qt Quick library is pulled in.
#   fazt-console  the desktop app (component console), its .desktop file and icon; Depends are
#                 dpkg-shlibdeps' plus the QML modules the UI loads at run time, which no linker
#                 sees (tests/integration/tst_package.cpp checks the list against qml/).
# The version is the project's (CMakeLists.txt), the one `fazt --version` and the API show.
install(FILES ${CMAKE_CURRENT_LIST_DIR}/fazt.service ${CMAKE_CURRENT_LIST_DIR}/fazt.socket
        DESTINATION lib/systemd/system COMPONENT server)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/doc/fazt COMPONENT server)
# Replicating fazt.db with Litestream (not in Debian): a sample config and unit to copy.
install(FILES ${CMAKE_CURRENT_LIST_DIR}/litestream.yml ${CMAKE_CURRENT_LIST_DIR}/litestream-fazt.service
        DESTINATION share/doc/fazt/examples COMPONENT server)
if(FAZT_CONSOLE)
  install(FILES ${CMAKE_CURRENT_LIST_DIR}/fazt-console.desktop DESTINATION share/applications
          COMPONENT console)
  install(FILES ${CMAKE_CURRENT_LIST_DIR}/fazt-console.svg
          DESTINATION share/icons/hicolor/scalable/apps COMPONENT console)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME fazt)
set(CPACK_PACKAGE_VENDOR "Fazt")
set(CPACK_PACKAGE_CONTACT "Fazt maintainers <fazt@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL server)
if(FAZT_CONSOLE)
  list(APPEND CPACK_COMPONENTS_ALL console)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION web)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/fazt-sh/fazt")

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME fazt)
set(CPACK_COMPONENT_SERVER_DESCRIPTION
    "Personal platform-as-a-service in one executable and one SQLite file\n"
    "Fazt hosts many sites (static files and small JavaScript functions) for one owner,\n"
    "issues its own HTTPS certificates and counts its own traffic. Includes the `fazt`\n"
    "command and a hardened systemd service with socket activation (fazt.socket).")
# ACME and fazt.fetch talk to https:// servers; adduser makes the fazt system user.
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "ca-certificates, adduser")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/debian/postinst ${CMAKE_CURRENT_LIST_DIR}/debian/prerm
    ${CMAKE_CURRENT_LIST_DIR}/debian/postrm)

set(CPACK_DEBIAN_CONSOLE_PACKAGE_NAME fazt-console)
set(CPACK_DEBIAN_CONSOLE_PACKAGE_SECTION x11)
set(CPACK_COMPONENT_CONSOLE_DESCRIPTION
    "Desktop console for Fazt servers\n"
    "Manages any number of Fazt servers: status, dashboards, sites, deploys by\n"
    "drag-and-drop, local preview and the resource simulator.")
# Loaded by the QML engine at run time (the FileDialog imports Qt.labs.folderlistmodel, the
# Basic style QtQuick.Shapes); the xcb platform plugin comes with libqt6gui6, which
# dpkg-shlibdeps finds.
set(CPACK_DEBIAN_CONSOLE_PACKAGE_DEPENDS
    "qml6-module-qtqml, qml6-module-qtqml-models, \
qml6-module-qtqml-workerscript, qml6-module-qtquick, qml6-module-qtquick-controls, \
qml6-module-qtquick-templates, qml6-module-qtquick-layouts, qml6-module-qtquick-window, \
qml6-module-qtquick-dialogs, qml6-module-qt-labs-folderlistmodel, qml6-module-qtcharts, \
qml6-module-qtquick-shapes")

include(CPack)
