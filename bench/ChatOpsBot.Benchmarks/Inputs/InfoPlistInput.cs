using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Benchmarks.Inputs;

/// <summary>The Info.plist of a mid-sized iOS app as Xcode ships it inside an .ipa (binary, about 4 KB).</summary>
internal static class InfoPlistInput
{
    public static PlistDictionary Build() => new()
    {
        ["BuildMachineOSBuild"] = "23H222",
        ["CFBundleDevelopmentRegion"] = "en",
        ["CFBundleDisplayName"] = "Field Ops",
        ["CFBundleExecutable"] = "FieldOps",
        ["CFBundleIdentifier"] = "com.example.fieldops.enterprise",
        ["CFBundleInfoDictionaryVersion"] = "6.0",
        ["CFBundleName"] = "FieldOps",
        ["CFBundlePackageType"] = "APPL",
        ["CFBundleShortVersionString"] = "4.12.1",
        ["CFBundleVersion"] = "4121087",
        ["CFBundleSignature"] = "????",
        ["CFBundleSupportedPlatforms"] = Strings("iPhoneOS"),
        ["CFBundleLocalizations"] = Strings("en", "de", "fr", "es", "it", "ja", "ko", "nl", "pt-BR", "zh-Hans", "zh-Hant"),
        ["CFBundleIcons"] = Icons("AppIcon60x60"),
        ["CFBundleIcons~ipad"] = Icons("AppIcon60x60", "AppIcon76x76", "AppIcon83.5x83.5"),
        ["CFBundleURLTypes"] = new PlistArray
        {
            new PlistDictionary
            {
                ["CFBundleTypeRole"] = "Editor",
                ["CFBundleURLName"] = "com.example.fieldops.enterprise",
                ["CFBundleURLSchemes"] = Strings("fieldops", "msauth.com.example.fieldops.enterprise"),
            },
        },
        ["CFBundleDocumentTypes"] = new PlistArray
        {
            new PlistDictionary
            {
                ["CFBundleTypeName"] = "Field Report",
                ["CFBundleTypeRole"] = "Editor",
                ["LSHandlerRank"] = "Owner",
                ["LSItemContentTypes"] = Strings("com.example.fieldops.report"),
            },
            new PlistDictionary
            {
                ["CFBundleTypeName"] = "PDF",
                ["CFBundleTypeRole"] = "Viewer",
                ["LSHandlerRank"] = "Alternate",
                ["LSItemContentTypes"] = Strings("com.adobe.pdf"),
            },
        },
        ["DTCompiler"] = "com.apple.compilers.llvm.clang.1_0",
        ["DTPlatformBuild"] = "22B74",
        ["DTPlatformName"] = "iphoneos",
        ["DTPlatformVersion"] = "18.1",
        ["DTSDKBuild"] = "22B74",
        ["DTSDKName"] = "iphoneos18.1",
        ["DTXcode"] = "1610",
        ["DTXcodeBuild"] = "16B40",
        ["ITSAppUsesNonExemptEncryption"] = false,
        ["LSApplicationQueriesSchemes"] = Strings("msauthv2", "msauthv3", "comgooglemaps", "waze", "tel", "mailto", "teams", "slack"),
        ["LSRequiresIPhoneOS"] = true,
        ["LSSupportsOpeningDocumentsInPlace"] = false,
        ["MinimumOSVersion"] = "16.0",
        ["NSAppTransportSecurity"] = new PlistDictionary
        {
            ["NSAllowsArbitraryLoads"] = false,
            ["NSExceptionDomains"] = new PlistDictionary
            {
                ["legacy-telemetry.example.com"] = new PlistDictionary
                {
                    ["NSExceptionAllowsInsecureHTTPLoads"] = true,
                    ["NSExceptionMinimumTLSVersion"] = "TLSv1.2",
                    ["NSIncludesSubdomains"] = true,
                },
                ["intranet.example.com"] = new PlistDictionary
                {
                    ["NSExceptionRequiresForwardSecrecy"] = false,
                    ["NSIncludesSubdomains"] = true,
                },
            },
        },
        ["NSBluetoothAlwaysUsageDescription"] = "Field Ops connects to Bluetooth barcode scanners and label printers on site.",
        ["NSCameraUsageDescription"] = "Field Ops uses the camera to scan asset tags and to attach photos to a field report.",
        ["NSContactsUsageDescription"] = "Field Ops lets you pick a site contact from your address book when you file a report.",
        ["NSFaceIDUsageDescription"] = "Field Ops uses Face ID to unlock reports stored on this device.",
        ["NSLocationAlwaysAndWhenInUseUsageDescription"] = "Field Ops records where a report was filed, including during a shift running in the background.",
        ["NSLocationWhenInUseUsageDescription"] = "Field Ops records where a report was filed so the dispatcher can find the site.",
        // Curly quotes and an accent make this one a UTF-16 string, as Xcode's localized strings often are.
        ["NSMicrophoneUsageDescription"] = "“Field Ops” records voice notes for a report’s résumé section.",
        ["NSPhotoLibraryAddUsageDescription"] = "Field Ops saves annotated site photos to your library.",
        ["NSPhotoLibraryUsageDescription"] = "Field Ops attaches photos from your library to a field report.",
        ["NSUserActivityTypes"] = Strings("com.example.fieldops.open-report", "com.example.fieldops.new-report"),
        ["UIApplicationSceneManifest"] = new PlistDictionary
        {
            ["UIApplicationSupportsMultipleScenes"] = true,
            ["UISceneConfigurations"] = new PlistDictionary
            {
                ["UIWindowSceneSessionRoleApplication"] = new PlistArray
                {
                    new PlistDictionary
                    {
                        ["UISceneConfigurationName"] = "Default Configuration",
                        ["UISceneDelegateClassName"] = "FieldOps.SceneDelegate",
                        ["UISceneStoryboardFile"] = "Main",
                    },
                },
            },
        },
        ["UIBackgroundModes"] = Strings("fetch", "location", "processing", "remote-notification"),
        ["UIDeviceFamily"] = new PlistArray { 1L, 2L },
        ["UIFileSharingEnabled"] = true,
        ["UILaunchStoryboardName"] = "LaunchScreen",
        ["UIMainStoryboardFile"] = "Main",
        ["UIRequiredDeviceCapabilities"] = Strings("arm64", "location-services", "still-camera"),
        ["UIStatusBarStyle"] = "UIStatusBarStyleDefault",
        ["UISupportedInterfaceOrientations"] = Strings("UIInterfaceOrientationPortrait"),
        ["UISupportedInterfaceOrientations~ipad"] = Strings(
            "UIInterfaceOrientationPortrait",
            "UIInterfaceOrientationPortraitUpsideDown",
            "UIInterfaceOrientationLandscapeLeft",
            "UIInterfaceOrientationLandscapeRight"),
        ["UIViewControllerBasedStatusBarAppearance"] = true,
        ["FieldOpsBuildDate"] = new PlistDate(new DateTime(2025, 3, 14, 9, 26, 53, DateTimeKind.Utc)),
        ["FieldOpsConfigurationVersion"] = 37L,
    };

    private static PlistDictionary Icons(params string[] files) => new()
    {
        ["CFBundlePrimaryIcon"] = new PlistDictionary
        {
            ["CFBundleIconFiles"] = Strings(files),
            ["CFBundleIconName"] = "AppIcon",
        },
        ["CFBundleAlternateIcons"] = new PlistDictionary
        {
            ["DarkIcon"] = new PlistDictionary
            {
                ["CFBundleIconFiles"] = Strings([.. files.Select(f => "Dark" + f)]),
                ["UIPrerenderedIcon"] = false,
            },
        },
    };

    private static PlistArray Strings(params string[] values) => new(values.Select(v => (PlistValue)v));
}
