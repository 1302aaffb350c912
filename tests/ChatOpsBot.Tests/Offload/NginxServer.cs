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

    /// <summary>
    /// The object-store location as docs/operations.md gives it ("With the object store"); {StoreLocation}, {StoreOrigin}
    /// (scheme, host and port) and {StoreHost} (host and port) are put in. The tests check the guide shows this text.
    /// </summary>
    public const string StoreLocation = """
        location ~ "^{StoreLocation}(?:all|(?<chatopsbot_range>bytes=[0-9]+-[0-9]+))(?<chatopsbot_object>/.+/(?<chatopsbot_sha256>[0-9a-f]{64}))$" {
            internal;
            # The origin and Host the presigned URL is signed for (event 6400 names them): ServiceUrl's.
            proxy_pass {StoreOrigin}$chatopsbot_object$is_args$args;
            proxy_set_header Host {StoreHost};
            proxy_ssl_server_name on;
            # Nothing of the phone's request reaches the store but the range the host resolved.
            proxy_pass_request_headers off;
            proxy_pass_request_body off;
            proxy_set_header Range $chatopsbot_range;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            # The store's own headers go; the host's Content-Type, Cache-Control and Accept-Ranges stay.
            proxy_hide_header Accept-Ranges;
            proxy_hide_header Cache-Control;
            proxy_hide_header Content-Disposition;
            proxy_hide_header Content-Encoding;
            proxy_hide_header Content-Language;
            proxy_hide_header Content-Security-Policy;
            proxy_hide_header Content-Type;
            proxy_hide_header ETag;
            proxy_hide_header Expires;
            proxy_hide_header Last-Modified;
            proxy_hide_header Set-Cookie;
            proxy_hide_header Strict-Transport-Security;
            proxy_hide_header Vary;
            proxy_hide_header X-Content-Type-Options;
            proxy_hide_header X-Xss-Protection;
            proxy_hide_header x-amz-id-2;
            proxy_hide_header x-amz-request-id;
            proxy_hide_header x-amz-version-id;
            proxy_hide_header x-amz-server-side-encryption;
            proxy_hide_header x-amz-storage-class;
            proxy_hide_header x-amz-expiration;
            proxy_hide_header x-amz-checksum-crc32;
            proxy_hide_header x-amz-checksum-crc64nvme;
            proxy_hide_header x-amz-checksum-sha256;
            proxy_hide_header X-Ratelimit-Limit;
            proxy_hide_header X-Ratelimit-Remaining;
            # The host's strong ETag is the object's SHA-256, the key's last segment; then the privacy headers of /i/.
            add_header ETag "\"$chatopsbot_sha256\"";
            add_header Referrer-Policy no-referrer;
            add_header X-Content-Type-Options nosniff;
            add_header X-Robots-Tag "noindex, nofollow";
            # A store that fails, refuses or cannot be reached: 502 in plain text, never the store's XML.
            proxy_intercept_errors on;
            error_page 400 401 403 404 405 408 409 411 412 416 500 501 502 503 504 = @chatopsbot_store_failed;
        }

        location @chatopsbot_store_failed {
            # Not from the store: a client asked for the internal location itself.
            if ($upstream_status = "") {
                return 404;
            }
            default_type text/plain;
            return 502 "The build's file could not be fetched from the artifact store.\n";
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
    /// <remarks>With <paramref name="store"/> (an S3 store's origin), the object-store location is there too.</remarks>
    public static async Task<NginxServer> StartAsync(Uri upstream, string dataDirectory, string internalLocation = DeliveryOptions.DefaultInternalLocation, Uri? store = null)
    {
        var directory = Directory.CreateTempSubdirectory("chatopsbot-nginx-").FullName;
        // A port free now may be taken before nginx binds it (other tests share the machine): try another.
        for (var attempt = 0; ; attempt++)
        {
            var port = Loopback.FreePort();
            var config = Path.Combine(directory, "nginx.conf");
            await File.WriteAllTextAsync(config, Configuration(directory, port, upstream, dataDirectory, internalLocation, store));
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

    /// <summary>The object-store location for a store at <paramref name="store"/>, as an operator fills it in.</summary>
    public static string StoreLocationFor(Uri store, string storeLocation = DeliveryOptions.DefaultStoreLocation) => StoreLocation
        .Replace("{StoreLocation}", storeLocation, StringComparison.Ordinal)
        .Replace("{StoreOrigin}", store.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal)
        .Replace("{StoreHost}", store.Authority, StringComparison.Ordinal);

    private static string Configuration(string directory, int port, Uri upstream, string dataDirectory, string internalLocation, Uri? store) => $$"""
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
        {{(store is null ? "" : Indent(StoreLocationFor(store), "        "))}}
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
