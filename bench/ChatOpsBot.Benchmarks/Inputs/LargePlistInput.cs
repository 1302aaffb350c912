using System.Globalization;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Benchmarks.Inputs;

/// <summary>
/// A build catalogue of 5,000 records, about 5 MB and 100,000 objects as a binary plist. Each record is a dictionary
/// of 12 entries: a UUID string, a title (two in nine non-ASCII, so UTF-16), release notes of 40 to 160 characters,
/// two integers, a date, a 32-byte digest and a 256 to 768-byte signature blob (data), an array of tags drawn from
/// 24 words, an array of up to 6 device ids drawn from 500, a boolean, and a 2 × 3 array of arrays of reals.
/// </summary>
internal static class LargePlistInput
{
    public const int Records = 5_000;

    private static readonly string[] Words =
    [
        "release", "beta", "hotfix", "nightly", "enterprise", "adhoc", "internal", "qa", "pilot", "canary", "signed",
        "resigned", "arm64", "ipad", "iphone", "watch", "sync", "offline", "maps", "camera", "scanner", "reports",
        "dispatch", "audit",
    ];

    private static readonly string[] TitleSuffixes = ["", "", "", "", "", "", "", " – Café Nöel", " (日本語)"];

    public static PlistDictionary Build()
    {
        var random = new Random(20_250_314);
        var epoch = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var devices = Enumerable.Range(0, 500).Select(_ => Hex(random, 20)).ToArray();

        var builds = new PlistArray(Records);
        for (var i = 0; i < Records; i++)
        {
            var version = 4_000_000 + i * 7;
            var tags = new PlistArray();
            for (var t = random.Next(1, 5); t > 0; t--)
                tags.Add(Words[random.Next(Words.Length)]);
            var deviceIds = new PlistArray();
            for (var d = random.Next(0, 7); d > 0; d--)
                deviceIds.Add(devices[random.Next(devices.Length)]);

            builds.Add(new PlistDictionary
            {
                ["id"] = Guid(random),
                ["title"] = string.Create(CultureInfo.InvariantCulture, $"Field Ops {version / 1_000_000}.{version / 1_000 % 1_000}.{version % 1_000}{TitleSuffixes[random.Next(TitleSuffixes.Length)]}"),
                ["notes"] = Sentence(random, random.Next(40, 161)),
                ["bundleVersion"] = (long)version,
                ["size"] = (long)random.Next(10_000_000, 300_000_000),
                ["uploaded"] = new PlistDate(epoch.AddSeconds(i * 600 + random.Next(600))),
                ["sha256"] = Bytes(random, 32),
                ["signature"] = Bytes(random, random.Next(256, 769)),
                ["tags"] = tags,
                ["devices"] = deviceIds,
                ["revoked"] = random.Next(20) == 0,
                ["timings"] = new PlistArray
                {
                    new PlistArray { Seconds(random), Seconds(random), Seconds(random) },
                    new PlistArray { Seconds(random), Seconds(random), Seconds(random) },
                },
            });
        }

        return new PlistDictionary
        {
            ["generator"] = "ChatOpsBot.Benchmarks",
            ["generated"] = new PlistDate(new DateTime(2025, 3, 14, 0, 0, 0, DateTimeKind.Utc)),
            ["builds"] = builds,
        };
    }

    private static string Guid(Random random)
    {
        var hex = Hex(random, 16);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    private static string Hex(Random random, int bytes) => Convert.ToHexStringLower(Bytes(random, bytes));

    private static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string Sentence(Random random, int length)
    {
        var words = new List<string>();
        var total = 0;
        while (total < length)
        {
            var word = Words[random.Next(Words.Length)];
            words.Add(word);
            total += word.Length + 1;
        }
        return string.Join(' ', words);
    }

    private static PlistValue Seconds(Random random) => Math.Round(random.NextDouble() * 600, 3);
}
