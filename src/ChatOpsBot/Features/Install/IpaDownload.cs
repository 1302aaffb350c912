using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Net.Http.Headers;

namespace ChatOpsBot.Features.Install;

/// <summary>The bytes one response sends: a whole file (200) or one range of it (206).</summary>
internal readonly record struct ByteRange(long From, long To, bool Partial)
{
    public long Length => To - From + 1;
}

/// <summary>How a build's file is sent: its media type and, when a browser should save it under a name, that name.</summary>
internal sealed record DownloadedFile(string ContentType, string FileName, bool Attachment)
{
    /// <summary>iOS's installer fetches the IPA itself: no name needed, the type it has always had.</summary>
    public static DownloadedFile Ipa { get; } = new("application/octet-stream", "app.ipa", Attachment: false);

    public const string ApkContentType = "application/vnd.android.package-archive";

    /// <summary>A browser saves an APK, and Android's installer opens it from the downloads: "&lt;app&gt;-&lt;version&gt;.apk".</summary>
    public static DownloadedFile Apk(string appSlug, string version) => new(ApkContentType, $"{Safe(appSlug)}-{Safe(version)}.apk", Attachment: true);

    /// <summary>The Content-Disposition header, or null where none is sent.</summary>
    public string? Disposition => Attachment ? $"attachment; filename=\"{FileName}\"" : null;

    // The version is the app's own text: keep letters, digits, '.', '_' and '-', so the name needs no quoting or encoding.
    private static string Safe(string text)
    {
        var builder = new System.Text.StringBuilder(Math.Min(text.Length, 64));
        foreach (var c in text)
        {
            if (builder.Length == 64)
                break;
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_');
        }
        var safe = builder.ToString().Trim('.');
        return safe.Length == 0 ? "app" : safe;
    }
}

/// <summary>
/// Sends an IPA or APK with HTTP range semantics (one range: 206; unsatisfiable: 416), read from the file straight into the
/// response pipe, never held in memory, counting the bytes that actually left so downloads can be recorded.
/// </summary>
internal static partial class IpaDownload
{
    /// <summary>
    /// Bytes read from the file per flush into the response pipe. Larger than the pipe's 4 KiB pool blocks, the
    /// pipe takes it from the array pool as one segment, sent in one system call: half the reads and sends of the
    /// 128 KiB buffer this replaced (docs/benchmarks.md, "Issue 12: delivery offload").
    /// </summary>
    private const int ChunkSize = 256 * 1024;

    public static EntityTagHeaderValue ETagOf(string sha256) => new($"\"{sha256}\"");

    /// <summary>What the request asks for: the single range it names, or the whole file; null when unsatisfiable.</summary>
    public static ByteRange? Select(HttpRequest request, long size, EntityTagHeaderValue etag)
    {
        if (RequestedRange(request, etag) is not { } range)
            return new ByteRange(0, size - 1, Partial: false);
        return Resolve(range, size) is { } satisfiable ? new ByteRange(satisfiable.From, satisfiable.To, Partial: true) : null;
    }

    public static void AnswerUnsatisfiable(HttpResponse response, long size, EntityTagHeaderValue etag, DownloadedFile file)
    {
        Describe(response, etag, file);
        response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
        response.Headers.ContentRange = new ContentRangeHeaderValue(size).ToString();
        response.ContentLength = 0;
    }

    /// <summary>Answers with the range's headers and, unless <paramref name="body"/> is null (a HEAD), its bytes read from that stream.</summary>
    public static async Task<(long Bytes, bool ReachedEnd)> SendAsync(HttpContext http, long size, Stream? body, EntityTagHeaderValue etag, DownloadedFile file, ByteRange range, CancellationToken cancellationToken)
    {
        var response = http.Response;
        Describe(response, etag, file);
        if (range.Partial)
        {
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = new ContentRangeHeaderValue(range.From, range.To, size).ToString();
        }
        var length = range.Length;
        response.ContentLength = length;
        if (body is null || length == 0)
            return (0, false);

        // Read straight into the response pipe's memory: one copy fewer than reading into a buffer of our own and
        // writing that, and one large segment per socket send instead of many pool blocks.
        var writer = response.BodyWriter;
        long sent = 0;
        try
        {
            while (sent < length)
            {
                var memory = writer.GetMemory(ChunkSize);
                var read = await body.ReadAsync(memory[..(int)Math.Min(memory.Length, length - sent)], cancellationToken);
                if (read == 0)
                    break;
                writer.Advance(read);
                var flushed = await writer.FlushAsync(cancellationToken);
                sent += read;
                if (flushed.IsCanceled || flushed.IsCompleted)
                    break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client went away; what was sent still counts towards its download.
        }
        return (sent, sent == length && range.To == size - 1);
    }

    /// <summary>
    /// Whether nginx's static module, given this request, answers as <see cref="Select"/> and <see cref="SendAsync"/>
    /// would: without a Range header, or with one plain single range (<c>bytes=a-b</c> with a ≤ b, <c>bytes=a-</c>,
    /// <c>bytes=-n</c>) under no If-Range or one that is exactly our ETag; and never with If-Match or
    /// If-Unmodified-Since, which nginx evaluates (412) and the host ignores. Anything else nginx reads differently,
    /// e.g. it answers <c>bytes=5-2</c> with 416 where we send the whole file, so the host sends those bytes itself.
    /// </summary>
    public static bool ProxyAgrees(HttpRequest request, EntityTagHeaderValue etag)
    {
        var headers = request.Headers;
        if (headers.IfMatch.Count > 0 || headers.IfUnmodifiedSince.Count > 0)
            return false;
        if (headers.Range.Count == 0)
            return true;
        if (headers.Range.Count != 1 || PlainRange().Match(headers.Range[0] ?? "") is not { Success: true } plain)
            return false;
        if (plain.Groups["from"].Success && plain.Groups["to"].Length > 0
            && long.Parse(plain.Groups["from"].ValueSpan, CultureInfo.InvariantCulture) > long.Parse(plain.Groups["to"].ValueSpan, CultureInfo.InvariantCulture))
            return false;
        var ifRange = headers.IfRange;
        return ifRange.Count == 0 || (ifRange.Count == 1 && string.Equals(ifRange[0], etag.ToString(), StringComparison.Ordinal));
    }

    /// <summary>
    /// Answers a GET the host has authorised and reserved with <c>X-Accel-Redirect</c>, so nginx sends the bytes from
    /// its <c>internal</c> location (<c>{internalLocation}{sha[..2]}/{sha}</c>, mapped to the artifact directory), and
    /// applies the request's Range and If-Range to the file itself. nginx keeps this response's Content-Type,
    /// Cache-Control and Accept-Ranges; its location puts back the ETag and the other headers it does not carry over
    /// (docs/operations.md, "Offloading IPA bytes to nginx"). Accept-Ranges goes only with a range: on a whole file
    /// nginx adds its own, and would send two.
    /// </summary>
    public static void HandOff(HttpResponse response, EntityTagHeaderValue etag, DownloadedFile file, string internalLocation, string sha256, bool partial)
    {
        Describe(response, etag, file);
        if (!partial)
            response.Headers.Remove(HeaderNames.AcceptRanges);
        response.Headers["X-Accel-Redirect"] = string.Concat(internalLocation, sha256.AsSpan(0, 2), "/", sha256);
        response.ContentLength = 0;
    }

    /// <summary>
    /// Answers a GET the host has authorised and reserved with <c>X-Accel-Redirect</c> to nginx's location for the
    /// object store: <c>{storeLocation}{all|bytes=a-b}{objectPath}</c>, where <paramref name="objectPath"/> is the
    /// path and query of a presigned GET (<c>/{bucket}/{key}?X-Amz-…</c>). The range is the one the host resolved
    /// (If-Range, suffixes and all), so nginx asks the store for exactly those bytes and the store's 200 or 206 is
    /// what the host would have sent. nginx keeps this response's Content-Type, Cache-Control and Accept-Ranges and
    /// hides the store's; its location adds the ETag from the key's SHA-256 and the privacy headers
    /// (docs/operations.md, "With the object store").
    /// </summary>
    public static void HandOffToStore(HttpResponse response, EntityTagHeaderValue etag, DownloadedFile file, string storeLocation, ByteRange range, string objectPath)
    {
        Describe(response, etag, file);
        var bytes = range.Partial ? string.Create(CultureInfo.InvariantCulture, $"bytes={range.From}-{range.To}") : "all";
        response.Headers["X-Accel-Redirect"] = string.Concat(storeLocation, bytes, objectPath);
        response.ContentLength = 0;
    }

    [GeneratedRegex(@"^bytes=(?:(?<from>[0-9]{1,18})-(?<to>[0-9]{0,18})|-[0-9]{1,18})$", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex PlainRange();

    private static void Describe(HttpResponse response, EntityTagHeaderValue etag, DownloadedFile file)
    {
        response.Headers.AcceptRanges = "bytes";
        response.Headers.ETag = etag.ToString();
        response.ContentType = file.ContentType;
        if (file.Disposition is { } disposition)
            response.Headers.ContentDisposition = disposition;
    }

    /// <summary>The single byte range asked for, or null to send the whole file (no Range, a stale If-Range, several ranges).</summary>
    private static RangeItemHeaderValue? RequestedRange(HttpRequest request, EntityTagHeaderValue etag)
    {
        var header = request.Headers.Range.ToString();
        if (header.Length == 0 || !RangeHeaderValue.TryParse(header, out var range)
            || !string.Equals(range.Unit.Value, "bytes", StringComparison.OrdinalIgnoreCase) || range.Ranges.Count != 1)
            return null;
        var ifRange = request.Headers.IfRange.ToString();
        if (ifRange.Length > 0 && !(EntityTagHeaderValue.TryParse(ifRange, out var tag) && tag.Compare(etag, useStrongComparison: true)))
            return null;
        return range.Ranges.Single();
    }

    private static (long From, long To)? Resolve(RangeItemHeaderValue range, long size)
    {
        if (range.From is { } from)
        {
            if (from >= size)
                return null;
            return (from, Math.Min(range.To ?? size - 1, size - 1));
        }
        // A suffix range: the last N bytes.
        var suffix = range.To ?? 0;
        if (suffix <= 0 || size == 0)
            return null;
        return (Math.Max(0, size - suffix), size - 1);
    }
}
