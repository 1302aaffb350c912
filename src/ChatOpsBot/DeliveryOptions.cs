namespace ChatOpsBot;

/// <summary>Who sends an IPA's bytes once the host has authorised the request (<c>ChatOpsBot:Delivery:Offload</c>).</summary>
internal enum DeliveryOffload
{
    /// <summary>Kestrel streams the file itself.</summary>
    None,

    /// <summary>
    /// The host answers with <c>X-Accel-Redirect</c> to an nginx <c>internal</c> location that maps to the artifact
    /// directory, and nginx sends the file (with sendfile, ranges included).
    /// </summary>
    XAccelRedirect,

    /// <summary>A short-lived presigned URL of the object store; only with <c>ChatOpsBot:Artifacts:Provider=S3</c>.</summary>
    Redirect,
}

/// <summary><c>ChatOpsBot:Delivery</c>: how IPA bytes reach the phone.</summary>
internal sealed class DeliveryOptions
{
    public const string DefaultInternalLocation = "/_chatopsbot/artifacts/";

    public DeliveryOffload Offload { get; set; } = DeliveryOffload.None;

    /// <summary>
    /// The prefix of nginx's <c>internal</c> location for artifacts: the host answers
    /// <c>X-Accel-Redirect: {InternalLocation}{sha[..2]}/{sha}</c>, which nginx maps with
    /// <c>alias &lt;DataDirectory&gt;/artifacts/</c>.
    /// </summary>
    public string InternalLocation { get; set; } = DefaultInternalLocation;

    /// <summary>With <see cref="DeliveryOffload.Redirect"/>: how long a presigned object-store URL works.</summary>
    public TimeSpan RedirectLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The sentences that stop the host for these settings, each naming its key.</summary>
    public static IEnumerable<string> Validate(DeliveryOptions options, Features.Builds.ArtifactProvider artifacts = Features.Builds.ArtifactProvider.FileSystem)
    {
        const string section = $"{ChatOpsBotOptions.Section}:Delivery";
        if (!Enum.IsDefined(options.Offload))
            yield return $"{section}:Offload must be None, XAccelRedirect or Redirect.";
        // Presigned URLs are for 7 days at most (SigV4); a long-lived one is a second credential for the file.
        if (options.RedirectLifetime <= TimeSpan.Zero || options.RedirectLifetime > TimeSpan.FromHours(1))
            yield return $"{section}:RedirectLifetime must be positive and at most 01:00:00 (default 00:05:00).";
        if (options.Offload == DeliveryOffload.XAccelRedirect && artifacts == Features.Builds.ArtifactProvider.S3)
            yield return $"{section}:Offload=XAccelRedirect maps nginx to the artifact directory, which ChatOpsBot:Artifacts:Provider=S3 does not use; with S3 use Redirect or None.";
        if (options.Offload == DeliveryOffload.Redirect && artifacts != Features.Builds.ArtifactProvider.S3)
            yield return $"{section}:Offload=Redirect answers with a presigned object-store URL, so it needs ChatOpsBot:Artifacts:Provider=S3; with files on disk use XAccelRedirect behind nginx, or None.";
        var location = options.InternalLocation ?? "";
        if (location.Length < 2 || location[0] != '/' || location[^1] != '/')
            yield return $"{section}:InternalLocation must start and end with / (such as {DefaultInternalLocation}); it is \"{location}\".";
        else if (!location.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '-' or '.' or '~') || location.Contains("//", StringComparison.Ordinal)
            || location.Split('/').Any(segment => segment is "." or ".."))
            yield return $"{section}:InternalLocation must be a plain URL path of letters, digits and / _ - . ~ (no empty, . or .. segments); it is \"{location}\".";
    }
}

/// <summary>Says at start that IPA downloads are handed to nginx, and where, since without the location they fail.</summary>
internal sealed partial class DeliveryOffloadNotice(Microsoft.Extensions.Options.IOptions<ChatOpsBotOptions> options, ILogger<DeliveryOffloadNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var delivery = options.Value.Delivery;
        if (delivery.Offload != DeliveryOffload.XAccelRedirect)
            return Task.CompletedTask;
        var artifacts = Path.Combine(options.Value.DataPath, "artifacts");
        LogHandingOff(delivery.InternalLocation, artifacts);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 6200, Level = LogLevel.Information,
        Message = "IPA downloads are handed to nginx with X-Accel-Redirect to {InternalLocation}: its server block needs that location, internal, with alias {ArtifactDirectory}/ (docs/operations.md, \"Offloading IPA bytes to nginx\")")]
    private partial void LogHandingOff(string internalLocation, string artifactDirectory);
}
