; Inno Setup 6 script: a per-machine install of the PyInstaller bundle with a Start-menu entry
; and an uninstaller. Built by packaging/build.py on Windows, which passes the defines below
; (see packaging/README.md). The uninstaller removes only the files this installer put in place:
; each user's data (%LOCALAPPDATA%\DiversionDesktop: the database, backups, settings) stays.

#ifndef AppVersion
  #error Run packaging/build.py, which passes /DAppVersion, /DAppNumericVersion, /DSourceDir, /DOutputDir and /DIconFile
#endif

[Setup]
; Never change AppId: it is how an upgrade finds the earlier installation.
AppId={{6F1D3A52-7C84-4E0B-9C2A-5B3E8D1F4A67}
AppName=Diversion Desktop
AppVersion={#AppVersion}
AppVerName=Diversion Desktop {#AppVersion}
VersionInfoVersion={#AppNumericVersion}
AppPublisher=Diversion Desktop maintainers
DefaultDirName={autopf}\Diversion Desktop
DefaultGroupName=Diversion Desktop
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename=DiversionDesktop-{#AppNumericVersion}-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\Diversion Desktop.exe
UninstallDisplayName=Diversion Desktop
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
; The windowed executable: no console appears behind the application.
Name: "{autoprograms}\Diversion Desktop"; Filename: "{app}\Diversion Desktop.exe"
Name: "{autodesktop}\Diversion Desktop"; Filename: "{app}\Diversion Desktop.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Run]
Filename: "{app}\Diversion Desktop.exe"; Description: "Start Diversion Desktop"; Flags: nowait postinstall skipifsilent unchecked
