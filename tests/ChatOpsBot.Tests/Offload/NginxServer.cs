using System.Diagnostics;
using System.Net;

namespace ChatOpsBot.Tests.Offload;

/// <summary>
/// Debian's nginx on a free loopback port, in the foreground, as one process (<c>master_process off</c>, so killing
/// it leaves no worker behind), with its configuration, pid, logs and temporary files in a directory of its own.
/// It proxies everything to one host and serves that host's artifact directory from the offload location.
/// </summary>
internal sealed class NginxServer : IDisposable
{
    /// <summary>
    /// The offload location as docs/operations.md gives it to operators; {InternalLocation} and {DataDirectory} are
    /// put in. <see cref="OffloadLocationTests"/> checks that the guide shows this very text.
    /// </summary>
    public const string OffloadLocation = """
        location {InternalLocation} {
            internal;
            alias {DataDirectory}/artifacts/;
            sendfile on;
            tcp_nopush on;
            # One range at most, as the host applies them; nginx sends the whole file for more.
            max_ranges 1;
            # The host's strong ETag (the SHA-256), and If-Range compared with it alone; no Last-Modified.
            etag off;
            if_modified_since off;
            add_header Last-Modified "";
            add_header ETag $upstream_http_etag;
            # Headers of the host's answer that nginx does not carry over an internal redirect.
            add_header Referrer-Policy $upstream_http_referrer_policy;
            add_header X-Content-Type-Options $upstream_http_x_content_type_options;
            add_header X-Robots-Tag $upstream_http_x_robots_tag;
        }
        """;

    private readonly Process _process;
    private readonly string _directory;

    private NginxServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri BaseAddress { get; }

    public string ErrorLog => File.Exists(Path.Combine(_directory, "error.log")) ? File.ReadAllText(Path.Combine(_directory, "error.log")) : "";

    public string AccessLog => File.Exists(Path.Combine(_directory, "access.log")) ? File.ReadAllText(Path.Combine(_directory, "access.log")) : "";

    public HttpClient CreateClient(string? userAgent = null)
    {
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None })
        {
            BaseAddress = BaseAddress,
        };
        if (userAgent is not null)
            client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", userAgent);
        return client;
    }

    /// <summary>Starts nginx in front of <paramref name="upstream"/>, serving <paramref name="dataDirectory"/>'s artifacts internally.</summary>
    public static async Task<NginxServer> StartAsync(Uri upstream, string dataDirectory, string internalLocation = DeliveryOptions.DefaultInternalLocation)
    {
        var directory = Directory.CreateTempSubdirectory("chatopsbot-nginx-").FullName;
        // A port free now may be taken before nginx binds it (other tests share the machine): try another.
        for (var attempt = 0; ; attempt++)
        {
            var port = Loopback.FreePort();
            var config = Path.Combine(directory, "nginx.conf");
            await File.WriteAllTextAsync(config, Configuration(directory, port, upstream, dataDirectory, internalLocation));
            var info = new ProcessStartInfo("nginx")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "-p", directory, "-c", config, "-e", Path.Combine(directory, "error.log") })
                info.ArgumentList.Add(argument);
            var process = Process.Start(info)!;
            var server = new NginxServer(process, directory, port);
            if (await Loopback.ListensAsync(process, port))
                return server;
            var log = server.ErrorLog;
            server.Stop();
            if (attempt == 4 || !log.Contains("Address already in use", StringComparison.Ordinal))
            {
                Directory.Delete(directory, recursive: true);
                throw new InvalidOperationException("nginx did not start:\n" + log);
            }
        }
    }

    private static string Configuration(string directory, int port, Uri upstream, string dataDirectory, string internalLocation) => $$"""
        daemon off;
        master_process off;
        pid {{directory}}/nginx.pid;
        error_log {{directory}}/error.log warn;
        events { worker_connections 256; }
        http {
            access_log {{directory}}/access.log;
            client_body_temp_path {{directory}}/client_body;
            proxy_temp_path {{directory}}/proxy;
            fastcgi_temp_path {{directory}}/fastcgi;
            uwsgi_temp_path {{directory}}/uwsgi;
            scgi_temp_path {{directory}}/scgi;
            client_max_body_size 0;
            server {
                listen 127.0.0.1:{{port}};
                location / {
                    proxy_pass http://127.0.0.1:{{upstream.Port}};
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_request_buffering off;
                    proxy_buffering off;
                }
        {{Indent(OffloadLocation.Replace("{InternalLocation}", internalLocation, StringComparison.Ordinal).Replace("{DataDirectory}", dataDirectory, StringComparison.Ordinal), "        ")}}
            }
        }
        """;

    private static string Indent(string text, string by) => string.Join('\n', text.Split('\n').Select(line => by + line));

    private void Stop()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }

    public void Dispose()
    {
        Stop();
        Directory.Delete(_directory, recursive: true);
    }
}
