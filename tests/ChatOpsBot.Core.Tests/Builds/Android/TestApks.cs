using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Security;
using System.Text;

namespace ChatOpsBot.Core.Tests.Builds.Android;

public enum TestApkTool
{
    // aapt package: UTF-16 pools, dense entries.
    Aapt,
    // aapt2 compile and link: UTF-8 key pools, sparse entries (minSdk 26 and up).
    Aapt2Sparse,
    // The same, then aapt2 optimize with obfuscated keys and shortened paths (res/uF.xml).
    Aapt2Optimized,
}

public enum TestApkSigning
{
    None,
    V1Only,
    V2AndV3,
    V1V2AndV3,
}

// What a test APK holds. Labels are keyed by resource qualifier ("" is res/values, "fr" res/values-fr); Resources
// are extra files under res/ (icons), written as given, so XML there is compiled by aapt like any app's.
internal sealed record TestApkSpec
{
    public string Package { get; init; } = "com.example.hello";

    public int VersionCode { get; init; } = 42;

    public string? VersionName { get; init; } = "1.2.3";

    public int? VersionCodeMajor { get; init; }

    public int MinSdk { get; init; } = 21;

    public int TargetSdk { get; init; } = 29;

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string> { [""] = "Hello App" };

    public string? Icon { get; init; } = "@mipmap/ic_launcher";

    public IReadOnlyList<(string Path, byte[] Bytes)> Resources { get; init; } = TestApks.PlainIcons();

    public bool Debuggable { get; init; }

    public IReadOnlyList<(string Name, bool Required)> Features { get; init; } = [];

    public IReadOnlyList<string> Abis { get; init; } = [];

    public TestApkSigning Signing { get; init; } = TestApkSigning.V1V2AndV3;

    public TestApkTool Tool { get; init; } = TestApkTool.Aapt;
}

// Builds real APKs the way an Android toolchain does, with Debian's aapt (`aapt package` against framework-res),
// zipalign and apksigner, and asks aapt and apksigner about them as independent readers. Self-contained so the
// host's tests can link this file.
internal static class TestApks
{
    public const string FrameworkRes = "/usr/share/android-framework-res/framework-res.apk";
    public const string CertificateSubject = "CN=Test Signer, O=Example, C=US";
    private const string StorePass = "android";
    private static readonly Lazy<Task<string>> KeyStore = new(CreateKeyStoreAsync);

    // mdpi 48 px red and xxhdpi 144 px green: ic_launcher as most apps ship it.
    public static IReadOnlyList<(string Path, byte[] Bytes)> PlainIcons(string name = "ic_launcher") =>
    [
        ($"mipmap-mdpi/{name}.png", Png(48, 0xFF, 0x00, 0x00)),
        ($"mipmap-xxhdpi/{name}.png", Png(144, 0x00, 0xFF, 0x00)),
    ];

    public static string AdaptiveIconXml(string foreground, string background) =>
        $"""
        <adaptive-icon xmlns:android="http://schemas.android.com/apk/res/android">
          <background android:drawable="{background}"/>
          <foreground android:drawable="{foreground}"/>
        </adaptive-icon>
        """;

    // A 1×1 lossless WebP.
    public static byte[] WebP { get; } = Convert.FromBase64String("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==");

    public static async Task<byte[]> BuildAsync(TestApkSpec spec, CancellationToken cancellationToken = default)
    {
        var dir = Directory.CreateTempSubdirectory("chatopsbot-apk-");
        try
        {
            var path = await BuildFileAsync(spec, dir.FullName, cancellationToken);
            return await File.ReadAllBytesAsync(path, cancellationToken);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    // Builds into workDir and returns the APK's path there.
    public static async Task<string> BuildFileAsync(TestApkSpec spec, string workDir, CancellationToken cancellationToken = default)
    {
        var res = Path.Combine(workDir, "res");
        foreach (var (qualifier, label) in spec.Labels)
        {
            var values = Directory.CreateDirectory(Path.Combine(res, qualifier.Length == 0 ? "values" : $"values-{qualifier}"));
            // With aapt2, twenty more default strings make the locale configurations (one string of 21) sparse; they sort
            // before app_name so that reading a sparse chunk as dense would miss it.
            var filler = spec.Tool != TestApkTool.Aapt && qualifier.Length == 0
                ? string.Concat(Enumerable.Range(0, 20).Select(i => $"<string name=\"aa_filler_{i}\">Filler {i}</string>"))
                : "";
            await File.WriteAllTextAsync(Path.Combine(values.FullName, "strings.xml"),
                $"<resources><string name=\"app_name\">{Escape(label)}</string>{filler}<color name=\"icon_background\">#FF3366</color></resources>", cancellationToken);
        }
        foreach (var (relative, bytes) in spec.Resources)
        {
            var file = Path.Combine(res, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllBytesAsync(file, bytes, cancellationToken);
        }
        var raw = Directory.CreateDirectory(Path.Combine(workDir, "raw"));
        foreach (var abi in spec.Abis)
        {
            var lib = Directory.CreateDirectory(Path.Combine(raw.FullName, "lib", abi));
            await File.WriteAllBytesAsync(Path.Combine(lib.FullName, "libhello.so"), [0x7F, (byte)'E', (byte)'L', (byte)'F', .. Encoding.ASCII.GetBytes(abi)], cancellationToken);
        }
        var manifest = Path.Combine(workDir, "AndroidManifest.xml");
        await File.WriteAllTextAsync(manifest, Manifest(spec), cancellationToken);

        var unsigned = Path.Combine(workDir, "unsigned.apk");
        if (spec.Tool == TestApkTool.Aapt)
        {
            List<string> aapt = ["package", "-f", "-M", manifest, "-I", FrameworkRes, "-F", unsigned];
            if (Directory.Exists(res))
                aapt.InsertRange(2, ["-S", res]);
            aapt.Add(raw.FullName);
            await RunAsync("aapt", aapt, cancellationToken);
        }
        else
        {
            var compiled = Path.Combine(workDir, "compiled.zip");
            List<string> link = ["link", "-o", unsigned, "-I", FrameworkRes, "--manifest", manifest, "--enable-sparse-encoding"];
            if (Directory.Exists(res))
            {
                await RunAsync("aapt2", ["compile", "--dir", res, "-o", compiled], cancellationToken);
                link.Add(compiled);
            }
            await RunAsync("aapt2", link, cancellationToken);
            if (spec.Tool == TestApkTool.Aapt2Optimized)
            {
                var optimized = Path.Combine(workDir, "optimized.apk");
                await RunAsync("aapt2", ["optimize", "-o", optimized, "--enable-sparse-encoding", "--enable-resource-obfuscation", "--enable-resource-path-shortening", unsigned], cancellationToken);
                File.Move(optimized, unsigned, overwrite: true);
            }
            // aapt2 link takes no raw folders: native libraries are added as a build system would.
            using var zip = ZipFile.Open(unsigned, ZipArchiveMode.Update);
            foreach (var file in Directory.EnumerateFiles(raw.FullName, "*", SearchOption.AllDirectories))
                zip.CreateEntryFromFile(file, Path.GetRelativePath(raw.FullName, file).Replace('\\', '/'));
        }
        var aligned = Path.Combine(workDir, "aligned.apk");
        await RunAsync("zipalign", ["-f", "-p", "4", unsigned, aligned], cancellationToken);
        if (spec.Signing == TestApkSigning.None)
            return aligned;

        var signed = Path.Combine(workDir, "app.apk");
        var (v1, v2v3) = spec.Signing switch
        {
            TestApkSigning.V1Only => ("true", "false"),
            TestApkSigning.V2AndV3 => ("false", "true"),
            _ => ("true", "true"),
        };
        await RunAsync("apksigner", ["sign", "--ks", await KeyStore.Value, "--ks-pass", $"pass:{StorePass}", "--ks-key-alias", "test",
            "--v1-signing-enabled", v1, "--v2-signing-enabled", v2v3, "--v3-signing-enabled", v2v3, "--out", signed, aligned], cancellationToken);
        return signed;
    }

    // An Android App Bundle as bundletool lays one out, from aapt2's protobuf output (`link --proto-format`): the
    // manifest under base/manifest/, the rest under base/, and BundleConfig.pb at the root.
    public static async Task<byte[]> BuildAppBundleAsync(TestApkSpec spec, CancellationToken cancellationToken = default)
    {
        var dir = Directory.CreateTempSubdirectory("chatopsbot-aab-");
        try
        {
            var withoutRes = spec with { Tool = TestApkTool.Aapt2Sparse, Signing = TestApkSigning.None };
            await BuildFileAsync(withoutRes, dir.FullName, cancellationToken);
            var proto = Path.Combine(dir.FullName, "proto.zip");
            List<string> link = ["link", "--proto-format", "-o", proto, "-I", FrameworkRes, "--manifest", Path.Combine(dir.FullName, "AndroidManifest.xml")];
            if (File.Exists(Path.Combine(dir.FullName, "compiled.zip")))
                link.Add(Path.Combine(dir.FullName, "compiled.zip"));
            await RunAsync("aapt2", link, cancellationToken);
            using var output = new MemoryStream();
            using (var bundle = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
            using (var module = ZipFile.OpenRead(proto))
            {
                await using (var config = await bundle.CreateEntry("BundleConfig.pb").OpenAsync(cancellationToken))
                    await config.WriteAsync((byte[])[0x0a, 0x08, 0x12, 0x06, .. "1.15.6"u8], cancellationToken);
                foreach (var entry in module.Entries)
                {
                    var name = entry.FullName == "AndroidManifest.xml" ? "base/manifest/AndroidManifest.xml" : $"base/{entry.FullName}";
                    await using var source = await entry.OpenAsync(cancellationToken);
                    await using var target = await bundle.CreateEntry(name).OpenAsync(cancellationToken);
                    await source.CopyToAsync(target, cancellationToken);
                }
            }
            return output.ToArray();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    // `aapt dump badging` on the APK's bytes: the independent reader's view.
    public static Task<string> BadgingAsync(byte[] apk, CancellationToken cancellationToken = default) =>
        WithFileAsync(apk, path => RunAsync("aapt", ["dump", "badging", path], cancellationToken));

    // `apksigner verify --print-certs` (it checks v1 when the APK's minSdkVersion is below 24).
    public static Task<string> PrintCertsAsync(byte[] apk, CancellationToken cancellationToken = default) =>
        WithFileAsync(apk, path => RunAsync("apksigner", ["verify", "-v", "--print-certs", path], cancellationToken));

    // A PNG of one colour, written without aapt's help (aapt may crunch it; its density stays the directory's).
    public static byte[] Png(int size, byte r, byte g, byte b)
    {
        var raw = new byte[size * (1 + size * 3)];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var i = y * (1 + size * 3) + 1 + x * 3;
                (raw[i], raw[i + 1], raw[i + 2]) = (r, g, b);
            }
        }
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, size);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), size);
        ihdr[8] = 8;
        ihdr[9] = 2;
        Chunk(png, "IHDR", ihdr);
        using (var compressed = new MemoryStream())
        {
            using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
                z.Write(raw);
            Chunk(png, "IDAT", compressed.ToArray());
        }
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        var typed = (byte[])[.. Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        png.Write(word);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    private static string Manifest(TestApkSpec spec)
    {
        var manifest = new StringBuilder();
        manifest.Append("<manifest xmlns:android=\"http://schemas.android.com/apk/res/android\"");
        manifest.Append($" package=\"{Escape(spec.Package)}\" android:versionCode=\"{spec.VersionCode}\"");
        if (spec.VersionName is not null)
            manifest.Append($" android:versionName=\"{Escape(spec.VersionName)}\"");
        if (spec.VersionCodeMajor is { } major)
            manifest.Append($" android:versionCodeMajor=\"{major}\"");
        manifest.Append('>');
        manifest.Append($"<uses-sdk android:minSdkVersion=\"{spec.MinSdk}\" android:targetSdkVersion=\"{spec.TargetSdk}\"/>");
        foreach (var (name, required) in spec.Features)
            manifest.Append($"<uses-feature android:name=\"{Escape(name)}\" android:required=\"{(required ? "true" : "false")}\"/>");
        manifest.Append("<application");
        if (spec.Labels.Count > 0)
            manifest.Append(" android:label=\"@string/app_name\"");
        if (spec.Icon is not null)
            manifest.Append($" android:icon=\"{spec.Icon}\"");
        if (spec.Debuggable)
            manifest.Append(" android:debuggable=\"true\"");
        manifest.Append("/></manifest>");
        return manifest.ToString();
    }

    // Android's string escapes (a bare quote or apostrophe means something to aapt), then XML's.
    private static string Escape(string text) => SecurityElement.Escape(text
        .Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("\"", "\\\"", StringComparison.Ordinal)
        .Replace("'", "\\'", StringComparison.Ordinal));

    private static async Task<string> CreateKeyStoreAsync()
    {
        var dir = Directory.CreateTempSubdirectory("chatopsbot-apk-key-");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => dir.Delete(recursive: true);
        var path = Path.Combine(dir.FullName, "test.jks");
        await RunAsync("keytool", ["-genkeypair", "-keystore", path, "-storepass", StorePass, "-keypass", StorePass, "-alias", "test",
            "-keyalg", "RSA", "-keysize", "2048", "-validity", "10000", "-dname", CertificateSubject], CancellationToken.None);
        return path;
    }

    private static async Task<string> WithFileAsync(byte[] apk, Func<string, Task<string>> run)
    {
        var dir = Directory.CreateTempSubdirectory("chatopsbot-apk-");
        try
        {
            var path = Path.Combine(dir.FullName, "app.apk");
            await File.WriteAllBytesAsync(path, apk);
            return await run(path);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    public static async Task<string> RunAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}: {await error}{await output}");
        return await output;
    }
}
