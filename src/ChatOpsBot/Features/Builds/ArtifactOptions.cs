using System.Text.RegularExpressions;

namespace ChatOpsBot.Features.Builds;

internal enum ArtifactProvider
{
    /// <summary>Files under <c>&lt;DataDirectory&gt;/artifacts</c>: one host, or replicas sharing that directory.</summary>
    FileSystem,

    /// <summary>An S3-compatible object store (AWS S3, MinIO, Cloudflare R2, Ceph), through AWSSDK.S3.</summary>
    S3,
}

/// <summary>Where IPAs and icons are kept: <c>ChatOpsBot:Artifacts</c>.</summary>
internal sealed partial class ArtifactOptions
{
    public ArtifactProvider Provider { get; set; } = ArtifactProvider.FileSystem;

    public S3ArtifactOptions S3 { get; set; } = new();

    private const string Key = $"{ChatOpsBotOptions.Section}:Artifacts:S3";

    /// <summary>Every mistake in the S3 settings, each a sentence naming its key; nothing when the provider is the file system.</summary>
    public static IEnumerable<string> Validate(ArtifactOptions options)
    {
        if (options.Provider != ArtifactProvider.S3)
            yield break;
        var s3 = options.S3;
        if (string.IsNullOrWhiteSpace(s3.Bucket))
            yield return $"{Key}:Bucket is required when {ChatOpsBotOptions.Section}:Artifacts:Provider is S3.";
        else if (!BucketName().IsMatch(s3.Bucket))
            yield return $"{Key}:Bucket must be an S3 bucket name: 3 to 63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit.";
        if (!string.IsNullOrEmpty(s3.ServiceUrl)
            && !(Uri.TryCreate(s3.ServiceUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && url.Query.Length == 0))
            yield return $"{Key}:ServiceUrl must be an absolute http or https URL (for example https://s3.eu-central-1.amazonaws.com or http://minio:9000).";
        if (string.IsNullOrEmpty(s3.ServiceUrl) && string.IsNullOrEmpty(s3.Region)
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AWS_REGION")) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION")))
            yield return $"{Key}:Region is required when {Key}:ServiceUrl is not set (or set AWS_REGION).";
        if (s3.Prefix is { Length: > 0 } prefix && !IsWellFormedPrefix(prefix))
            yield return $"{Key}:Prefix must end with '/' and must not start with one (for example 'chatopsbot/'), or be empty.";
        if (string.IsNullOrEmpty(s3.AccessKeyId) != string.IsNullOrEmpty(s3.SecretAccessKey))
            yield return $"{Key}: set both AccessKeyId and SecretAccessKey, or neither (then the standard AWS credentials, such as AWS_ACCESS_KEY_ID, apply).";
        if (s3.PartSize is < S3ArtifactOptions.MinPartSize or > S3ArtifactOptions.MaxPartSize)
            yield return $"{Key}:PartSize must be between {S3ArtifactOptions.MinPartSize} (5 MiB) and {S3ArtifactOptions.MaxPartSize} (5 GiB) bytes.";
    }

    /// <summary>Ends with <c>/</c>, does not start with one, and has no empty segment.</summary>
    internal static bool IsWellFormedPrefix(string prefix) =>
        !prefix.StartsWith('/') && prefix.EndsWith('/') && !prefix.Contains("//", StringComparison.Ordinal);

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();
}

internal sealed class S3ArtifactOptions
{
    internal const long MinPartSize = 5L * 1024 * 1024;
    internal const long MaxPartSize = 5L * 1024 * 1024 * 1024;

    /// <summary>The endpoint of a store that is not AWS S3 itself (MinIO, R2, Ceph); empty for AWS, which the region then picks.</summary>
    public string? ServiceUrl { get; set; }

    public string? Bucket { get; set; }

    /// <summary>The signing region (AWS: the bucket's region; R2: <c>auto</c>; MinIO and Ceph: usually <c>us-east-1</c>).</summary>
    public string? Region { get; set; }

    /// <summary>Prepended to every key, such as <c>chatopsbot/</c>; keys are <c>{Prefix}ab/&lt;sha256&gt;</c>.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>Address buckets as <c>https://host/bucket/key</c> instead of <c>https://bucket.host/key</c> (MinIO, Ceph).</summary>
    public bool ForcePathStyle { get; set; }

    /// <summary>With <see cref="SecretAccessKey"/>; both absent means the SDK's standard credential chain.</summary>
    public string? AccessKeyId { get; set; }

    public string? SecretAccessKey { get; set; }

    /// <summary>Files larger than this are sent as a multipart upload in parts of this size, one part at a time.</summary>
    public long PartSize { get; set; } = 16L * 1024 * 1024;

    /// <summary>The region requests are signed for: <see cref="Region"/>, else the AWS SDK's environment variables.</summary>
    public string? SigningRegion() =>
        new[] { Region, Environment.GetEnvironmentVariable("AWS_REGION"), Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") }
            .FirstOrDefault(region => !string.IsNullOrEmpty(region));

    /// <summary>
    /// The origin (scheme, host and port) the URLs presigned for nginx are signed for: <see cref="ServiceUrl"/>'s,
    /// or AWS's regional endpoint. SigV4 signs the Host header, so nginx must send exactly this origin's host and
    /// port, and its proxy_pass must go there. Those URLs address the bucket path-style (<c>/{bucket}/{key}</c>)
    /// whatever <see cref="ForcePathStyle"/> says, so one fixed origin serves every object.
    /// </summary>
    public Uri SignedOrigin() =>
        new(string.IsNullOrEmpty(ServiceUrl)
            ? $"https://s3.{SigningRegion()}.amazonaws.com"
            : new Uri(ServiceUrl).GetLeftPart(UriPartial.Authority));
}
