namespace ChatOpsBot;

/// <summary>Who sends an IPA's bytes once the host has authorised the request (<c>ChatOpsBot:Delivery:Offload</c>).</summary>
internal enum DeliveryOffload
{
    /// <summary>Kestrel streams the file itself.</summary>
    None,

    /// <summary>
    /// The host answers with <c>X-Accel-Redirect</c> to an nginx <c>internal</c> location, and nginx sends the bytes:
    /// from the artifact directory (with sendfile, ranges included), or with the S3 store, fetched from the bucket
    /// with a URL the host presigned (<see cref="DeliveryOptions.StoreLocation"/>).
    /// </summary>
    XAccelRedirect,

    /// <summary>A short-lived presigned URL of the object store; only with <c>ChatOpsBot:Artifacts:Provider=S3</c>.</summary>
    Redirect,
}

/// <summary><c>ChatOpsBot:Delivery</c>: how IPA bytes reach the phone.</summary>
internal sealed class DeliveryOptions
{
    public const string DefaultInternalLocation = "/_chatopsbot/artifacts/";

    public const string DefaultStoreLocation = "/_chatopsbot/s3/";

    public DeliveryOffload Offload { get; set; } = DeliveryOffload.None;

    /// <summary>
    /// The prefix of nginx's <c>internal</c> location for artifacts: the host answers
    /// <c>X-Accel-Redirect: {InternalLocation}{sha[..2]}/{sha}</c>, which nginx maps with
    /// <c>alias &lt;DataDirectory&gt;/artifacts/</c>.
    /// </summary>
    public string InternalLocation { get; set; } = DefaultInternalLocation;

    /// <summary>
    /// With <see cref="DeliveryOffload.XAccelRedirect"/> and the S3 store: the prefix of nginx's <c>internal</c>
    /// location that proxies to the store. The host answers
    /// <c>X-Accel-Redirect: {StoreLocation}{all|bytes=a-b}/{bucket}/{key}?{presigned query}</c>.
    /// </summary>
    public string StoreLocation { get; set; } = DefaultStoreLocation;

    /// <summary>
    /// With <see cref="DeliveryOffload.Redirect"/>: how long a presigned object-store URL works; with
    /// <see cref="DeliveryOffload.XAccelRedirect"/> and the S3 store, how long the URL nginx fetches the object with does.
    /// </summary>
    public TimeSpan RedirectLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The sentences that stop the host for these settings, each naming its key.</summary>
    public static IEnumerable<string> Validate(DeliveryOptions options, Features.Builds.ArtifactOptions? artifacts = null)
    {
        const string section = $"{ChatOpsBotOptions.Section}:Delivery";
        var provider = artifacts?.Provider ?? Features.Builds.ArtifactProvider.FileSystem;
        if (!Enum.IsDefined(options.Offload))
            yield return $"{section}:Offload must be None, XAccelRedirect or Redirect.";
        // Presigned URLs are for 7 days at most (SigV4); a long-lived one is a second credential for the file.
        if (options.RedirectLifetime <= TimeSpan.Zero || options.RedirectLifetime > TimeSpan.FromHours(1))
            yield return $"{section}:RedirectLifetime must be positive and at most 01:00:00 (default 00:05:00).";
        if (options.Offload == DeliveryOffload.Redirect && provider != Features.Builds.ArtifactProvider.S3)
            yield return $"{section}:Offload=Redirect answers with a presigned object-store URL, so it needs ChatOpsBot:Artifacts:Provider=S3; with files on disk use XAccelRedirect behind nginx, or None.";
        if (LocationProblem($"{section}:InternalLocation", options.InternalLocation, DefaultInternalLocation) is { } internalProblem)
            yield return internalProblem;
        if (LocationProblem($"{section}:StoreLocation", options.StoreLocation, DefaultStoreLocation) is { } storeProblem)
            yield return storeProblem;
        else if (string.Equals(options.StoreLocation, options.InternalLocation, StringComparison.Ordinal))
            yield return $"{section}:StoreLocation must differ from {section}:InternalLocation: nginx maps one to the artifact directory and the other to the object store; both are \"{options.StoreLocation}\".";
        // The object's key travels in the X-Accel-Redirect path, which nginx parses as a URL path and matches.
        if (options.Offload == DeliveryOffload.XAccelRedirect && provider == Features.Builds.ArtifactProvider.S3
            && artifacts!.S3.Prefix is { Length: > 0 } prefix && Features.Builds.ArtifactOptions.IsWellFormedPrefix(prefix) && !IsPlainPath(prefix))
            yield return $"{ChatOpsBotOptions.Section}:Artifacts:S3:Prefix must be a plain URL path of letters, digits and / _ - . ~ (no empty, . or .. segments) with {section}:Offload=XAccelRedirect, because nginx's {section}:StoreLocation carries the object's key in its path; it is \"{prefix}\".";
    }

    private static string? LocationProblem(string key, string? value, string example)
    {
        var location = value ?? "";
        if (location.Length < 2 || location[0] != '/' || location[^1] != '/')
            return $"{key} must start and end with / (such as {example}); it is \"{location}\".";
        if (!IsPlainPath(location))
            return $"{key} must be a plain URL path of letters, digits and / _ - . ~ (no empty, . or .. segments); it is \"{location}\".";
        return null;
    }

    /// <summary>Letters, digits and <c>/ _ - . ~</c>, with no empty, <c>.</c> or <c>..</c> segment between its slashes.</summary>
    private static bool IsPlainPath(string path) =>
        path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '-' or '.' or '~')
        && path.Trim('/').Split('/').All(segment => segment is not ("" or "." or ".."));
}

/// <summary>Says at start that IPA downloads are handed to nginx, and where, since without the location they fail.</summary>
internal sealed partial class DeliveryOffloadNotice(Microsoft.Extensions.Options.IOptions<ChatOpsBotOptions> options, ILogger<DeliveryOffloadNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var delivery = options.Value.Delivery;
        if (delivery.Offload != DeliveryOffload.XAccelRedirect)
            return Task.CompletedTask;
        if (options.Value.Artifacts.Provider == Features.Builds.ArtifactProvider.S3)
        {
            var origin = options.Value.Artifacts.S3.SignedOrigin();
            var (storeOrigin, storeHost) = (origin.GetLeftPart(UriPartial.Authority), origin.Authority);
            LogHandingOffToStore(delivery.StoreLocation, storeOrigin, storeHost);
            return Task.CompletedTask;
        }
        var artifacts = Path.Combine(options.Value.DataPath, "artifacts");
        LogHandingOff(delivery.InternalLocation, artifacts);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 6200, Level = LogLevel.Information,
        Message = "IPA downloads are handed to nginx with X-Accel-Redirect to {InternalLocation}: its server block needs that location, internal, with alias {ArtifactDirectory}/ (docs/operations.md, \"Offloading IPA bytes to nginx\")")]
    private partial void LogHandingOff(string internalLocation, string artifactDirectory);

    [LoggerMessage(EventId = 6400, Level = LogLevel.Information,
        Message = "IPA downloads are handed to nginx with X-Accel-Redirect to {StoreLocation}: its server block needs that location, internal, with proxy_pass {StoreOrigin}/… and proxy_set_header Host {StoreHost}, which the presigned URLs are signed for (docs/operations.md, \"With the object store\")")]
    private partial void LogHandingOffToStore(string storeLocation, string storeOrigin, string storeHost);
}
