using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Benchmarks.Inputs;

/// <summary>The itms-services manifest an install page links to, as an XML plist.</summary>
internal static class ManifestInput
{
    public static PlistDictionary Build() => new()
    {
        ["items"] = new PlistArray
        {
            new PlistDictionary
            {
                ["assets"] = new PlistArray
                {
                    new PlistDictionary
                    {
                        ["kind"] = "software-package",
                        ["url"] = "https://builds.example.com/install/7f3c2a9e1b4d4c0f8a6e5d2c1b0a9f8e/FieldOps-4.12.1-4121087.ipa",
                    },
                    new PlistDictionary
                    {
                        ["kind"] = "display-image",
                        ["needs-shine"] = false,
                        ["url"] = "https://builds.example.com/install/7f3c2a9e1b4d4c0f8a6e5d2c1b0a9f8e/icon-57.png",
                    },
                    new PlistDictionary
                    {
                        ["kind"] = "full-size-image",
                        ["needs-shine"] = false,
                        ["url"] = "https://builds.example.com/install/7f3c2a9e1b4d4c0f8a6e5d2c1b0a9f8e/icon-512.png",
                    },
                },
                ["metadata"] = new PlistDictionary
                {
                    ["bundle-identifier"] = "com.example.fieldops.enterprise",
                    ["bundle-version"] = "4.12.1",
                    ["kind"] = "software",
                    ["platform-identifier"] = "com.apple.platform.iphoneos",
                    ["title"] = "Field Ops & Dispatch",
                    ["subtitle"] = "Enterprise build 4121087 <main>",
                },
            },
        },
    };
}
