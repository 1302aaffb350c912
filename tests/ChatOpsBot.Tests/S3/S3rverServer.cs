using System.Diagnostics;
using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace ChatOpsBot.Tests.S3;

/// <summary>
/// A real S3-compatible server for the tests: s3rver (npm, installed into tests/s3 by ./test.sh) under node, on a
/// loopback port the kernel picks, with a temporary directory of its own and one bucket, behind a check of every
/// request's Signature Version 4 (tests/s3/sigv4-gate.js), which s3rver itself does not make. It exits when this process
/// closes its standard input, which the kernel does when the test process dies however it ends.
/// </summary>
internal sealed class S3rverServer : IAsyncDisposable
{
    public const string Bucket = "chatopsbot-test";

    // s3rver's built-in account.
    public const string AccessKeyId = "S3RVER";
    public const string SecretAccessKey = "S3RVER";

    // s3rver accepts any signature, so it listens behind tests/s3/sigv4-gate.js, which refuses what AWS S3 would.
    private const string Script = """
        const S3rver = require(process.argv[1]);
        const gate = require(process.argv[4]);
        const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[2], configureBuckets: [{ name: process.argv[3], configs: [] }] });
        server.run().then(address => {
          const front = gate(address.port, process.argv[5], []);
          front.listen(0, '127.0.0.1', () => console.log('listening ' + front.address().port));
        }, error => { console.error(error); process.exit(1); });
        process.stdin.on('end', () => process.exit(0));
        process.stdin.resume();
        """;

    private readonly Process _process;
    private readonly string _directory;

    private S3rverServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string ServiceUrl => $"http://127.0.0.1:{Port}";

    public static async Task<S3rverServer> StartAsync()
    {
        var module = ModuleDirectory();
        var directory = Directory.CreateTempSubdirectory("chatopsbot-s3rver-").FullName;
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // s3rver makes its list continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider: without it
        // every truncated listing (MaxKeys, or more than 1000 keys) answers 500.
        var gate = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(module)!)!, "sigv4-gate.js");
        foreach (var argument in (string[])["--openssl-legacy-provider", "-e", Script, module, directory, Bucket, gate, SecretAccessKey])
            info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start.");
        var errors = process.StandardError.ReadToEndAsync();
        // The first line says the port: no free port is guessed, so none can be taken meanwhile.
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Directory.Delete(directory, recursive: true);
            throw new InvalidOperationException($"s3rver did not start: {line}\n{await errors}");
        }
        return new S3rverServer(process, directory, int.Parse(line["listening ".Length..], CultureInfo.InvariantCulture));
    }

    /// <summary>The settings that point a host at this server, under a prefix of its own so hosts sharing it do not meet.</summary>
    public Dictionary<string, string?> Settings(string prefix) => new()
    {
        ["ChatOpsBot:Artifacts:Provider"] = "S3",
        ["ChatOpsBot:Artifacts:S3:ServiceUrl"] = ServiceUrl,
        ["ChatOpsBot:Artifacts:S3:Bucket"] = Bucket,
        ["ChatOpsBot:Artifacts:S3:Region"] = "us-east-1",
        ["ChatOpsBot:Artifacts:S3:Prefix"] = prefix,
        ["ChatOpsBot:Artifacts:S3:ForcePathStyle"] = "true",
        ["ChatOpsBot:Artifacts:S3:AccessKeyId"] = AccessKeyId,
        ["ChatOpsBot:Artifacts:S3:SecretAccessKey"] = SecretAccessKey,
    };

    /// <summary>A client of our own, to look into the bucket independently of the host.</summary>
    public AmazonS3Client Client(string? serviceUrl = null) => new(new BasicAWSCredentials(AccessKeyId, SecretAccessKey), new AmazonS3Config
    {
        ServiceURL = serviceUrl ?? ServiceUrl,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    /// <summary>Every key under the prefix, with its size.</summary>
    public async Task<Dictionary<string, long>> ObjectsAsync(string prefix)
    {
        using var client = Client();
        var objects = new Dictionary<string, long>(StringComparer.Ordinal);
        string? continuation = null;
        do
        {
            var page = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix, ContinuationToken = continuation });
            foreach (var entry in page.S3Objects ?? [])
                objects[entry.Key] = entry.Size ?? -1;
            continuation = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (continuation is not null);
        return objects;
    }

    public async Task<byte[]> GetAsync(string key)
    {
        using var client = Client();
        using var response = await client.GetObjectAsync(Bucket, key);
        using var bytes = new MemoryStream();
        await response.ResponseStream.CopyToAsync(bytes);
        return bytes.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
                _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>tests/s3/node_modules/s3rver in the repository this test assembly was built from.</summary>
    private static string ModuleDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (!File.Exists(Path.Combine(directory.FullName, "ChatOpsBot.sln")))
                continue;
            var module = Path.Combine(directory.FullName, "tests", "s3", "node_modules", "s3rver");
            if (!File.Exists(Path.Combine(module, "package.json")))
                throw new InvalidOperationException(
                    $"s3rver is not installed in {module}: run ./test.sh, or `npm ci --prefix tests/s3 --no-audit --no-fund`, before these tests.");
            return module;
        }
        throw new InvalidOperationException("The repository (ChatOpsBot.sln) was not found above " + AppContext.BaseDirectory);
    }
}
