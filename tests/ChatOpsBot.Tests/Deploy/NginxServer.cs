using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ChatOpsBot.Tests.Deploy;

/// <summary>
/// Debian's nginx running deploy/nginx/chatopsbot.conf with what only a Docker host has substituted: the replicas'
/// addresses, loopback ports for 80 and 443, a throwaway certificate, the ACME directory, the artifacts directory and
/// the access log. Each substitution must find its text exactly as often as expected, so a change to the file that
/// would leave part of it untested fails here instead. Stopped (its process tree killed) and removed on dispose.
/// </summary>
internal sealed class NginxServer : IDisposable
{
    public const string PublicHost = "ota.example.test";

    private readonly Process _process;

    private NginxServer(Process process, string prefix, int httpPort, int httpsPort, string certificateThumbprint, string output)
    {
        _process = process;
        Prefix = prefix;
        HttpPort = httpPort;
        HttpsPort = httpsPort;
        CertificateThumbprint = certificateThumbprint;
        StartOutput = output;
    }

    public string Prefix { get; }

    public int HttpPort { get; }

    public int HttpsPort { get; }

    public string CertificateThumbprint { get; }

    public string StartOutput { get; }

    public string AcmeDirectory => Path.Combine(Prefix, "acme");

    public string AccessLog => File.Exists(Path.Combine(Prefix, "access.log")) ? File.ReadAllText(Path.Combine(Prefix, "access.log")) : "";

    public string ErrorLog => File.Exists(Path.Combine(Prefix, "error.log")) ? File.ReadAllText(Path.Combine(Prefix, "error.log")) : "";

    /// <summary>The nginx executable, or a sentence saying how to get it.</summary>
    public static string Executable() =>
        new[] { "/usr/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists)
        ?? throw new Xunit.Sdk.XunitException("nginx is not installed: apt-get install nginx (./test.sh installs it).");

    /// <summary>Starts nginx in front of <paramref name="upstreams"/> (chatopsbot-1, chatopsbot-2 in the compose file).</summary>
    /// <remarks><paramref name="store"/>: the S3 store the object-store location proxies to (the compose file's MinIO); none by default.</remarks>
    public static async Task<NginxServer> StartAsync(IReadOnlyList<Uri> upstreams, string artifactsDirectory, Uri? store = null)
    {
        var prefix = Directory.CreateTempSubdirectory("chatopsbot-nginx-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(prefix, "tls"));
            Directory.CreateDirectory(Path.Combine(prefix, "acme", ".well-known", "acme-challenge"));
            var thumbprint = WriteThrowawayCertificate(Path.Combine(prefix, "tls"));
            // A port free now may be taken before nginx binds it (other test runs share the machine): choose again.
            for (var attempt = 1; ; attempt++)
            {
                var (http, https) = (Loopback.FreePort(), Loopback.FreePort());
                var configuration = Substitute(DeployFiles.NginxConfigText, prefix, upstreams, http, https, artifactsDirectory, store);
                await File.WriteAllTextAsync(Path.Combine(prefix, "chatopsbot.conf"), configuration);
                await File.WriteAllTextAsync(Path.Combine(prefix, "nginx.conf"), MainConfiguration(prefix));
                var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
                var process = Start(prefix, output);
                if (await Loopback.ListensAsync(process, https))
                    return new NginxServer(process, prefix, http, https, thumbprint, string.Join("\n", output));
                // Neither listening nor gone within the deadline: stopped here. Then waits for the rest of its output.
                if (!process.HasExited)
                    process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                process.Dispose();
                var said = string.Join("\n", output);
                if (attempt == 5 || !said.Contains("Address already in use", StringComparison.Ordinal))
                    throw new Xunit.Sdk.XunitException("nginx did not start:\n" + said);
            }
        }
        catch
        {
            Directory.Delete(prefix, recursive: true);
            throw;
        }
    }

    /// <summary>The compose deployment's nginx configuration with this machine's paths, hosts and ports.</summary>
    internal static string Substitute(string configuration, string prefix, IReadOnlyList<Uri> upstreams, int httpPort, int httpsPort, string artifactsDirectory, Uri? store = null)
    {
        // Without a store the location points at a port nothing listens on: nginx starts without one, as in Docker.
        var storeAuthority = store?.Authority ?? "127.0.0.1:9";
        (string From, string To, int Count)[] substitutions =
        [
            ("server chatopsbot-1:8080 ", $"server 127.0.0.1:{upstreams[0].Port} ", 1),
            ("server chatopsbot-2:8080 ", $"server 127.0.0.1:{upstreams[1].Port} ", 1),
            ("listen 80 default_server;", $"listen 127.0.0.1:{httpPort} default_server;", 1),
            ("listen 443 ssl default_server;", $"listen 127.0.0.1:{httpsPort} ssl default_server;", 1),
            ("/etc/nginx/tls/", Path.Combine(prefix, "tls") + "/", 2),
            ("root /var/www/acme;", $"root {Path.Combine(prefix, "acme")};", 1),
            ("alias /var/lib/chatopsbot/artifacts/;", $"alias {Path.TrimEndingDirectorySeparator(artifactsDirectory)}/;", 1),
            ("/var/log/nginx/access.log", Path.Combine(prefix, "access.log"), 2),
            // proxy_pass and the Host the presigned URLs are signed for.
            ("minio:9000", storeAuthority, 2),
        ];
        foreach (var (from, to, count) in substitutions)
        {
            var found = (configuration.Length - configuration.Replace(from, "", StringComparison.Ordinal).Length) / from.Length;
            Assert.True(found == count, $"deploy/nginx/chatopsbot.conf has '{from}' {found} times, the test substitutes it {count} times");
            configuration = configuration.Replace(from, to, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("/etc/nginx", configuration, StringComparison.Ordinal);
        Assert.DoesNotContain("/var/", configuration, StringComparison.Ordinal);
        return configuration;
    }

    /// <summary>What the official image's /etc/nginx/nginx.conf sets around conf.d/default.conf, in this directory.</summary>
    private static string MainConfiguration(string prefix) => $$"""
        {{(Environment.IsPrivilegedProcess ? "user root;" : "")}}
        worker_processes 1;
        pid {{prefix}}/nginx.pid;
        error_log {{prefix}}/error.log notice;
        events { worker_connections 256; }
        http {
            {{(File.Exists("/etc/nginx/mime.types") ? "include /etc/nginx/mime.types;" : "")}}
            default_type application/octet-stream;
            sendfile on;
            keepalive_timeout 65;
            client_body_temp_path {{prefix}}/client_body;
            proxy_temp_path {{prefix}}/proxy;
            fastcgi_temp_path {{prefix}}/fastcgi;
            uwsgi_temp_path {{prefix}}/uwsgi;
            scgi_temp_path {{prefix}}/scgi;
            include {{prefix}}/chatopsbot.conf;
        }
        """;

    private static Process Start(string prefix, System.Collections.Concurrent.ConcurrentQueue<string> output)
    {
        var info = new ProcessStartInfo(Executable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-p", prefix + "/", "-c", Path.Combine(prefix, "nginx.conf"), "-e", "stderr", "-g", "daemon off;" })
            info.ArgumentList.Add(argument);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>
    /// A throwaway self-signed certificate for the public host name, as fullchain.pem and privkey.pem; its
    /// thumbprint, which the test clients pin. Fixed validity dates: nothing here reads the clock.
    /// </summary>
    private static string WriteThrowawayCertificate(string directory)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={PublicHost}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(PublicHost);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero));
        File.WriteAllText(Path.Combine(directory, "fullchain.pem"), certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(directory, "privkey.pem"), key.ExportPkcs8PrivateKeyPem() + "\n");
        return certificate.Thumbprint;
    }

    /// <summary>
    /// A client that reaches <see cref="PublicHost"/> at this nginx (port 443 → its https port, 80 → its http port), as a
    /// phone resolving the name would, trusting only the throwaway certificate; from <paramref name="source"/> (a
    /// loopback address) when given. No redirects are followed.
    /// </summary>
    public HttpClient CreateClient(IPAddress? source = null, string? apiKey = null)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var port = context.DnsEndPoint.Port == 80 ? HttpPort : HttpsPort;
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    if (source is not null)
                        socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == CertificateThumbprint },
        };
        // Not a timing assertion: a request that hangs fails the test instead of hanging the run.
        var client = new HttpClient(handler) { BaseAddress = new Uri($"https://{PublicHost}/"), Timeout = TimeSpan.FromSeconds(100) };
        if (apiKey is not null)
            client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
        return client;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        Directory.Delete(Prefix, recursive: true);
    }
}
