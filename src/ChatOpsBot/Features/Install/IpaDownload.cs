using System.Buffers;
using Microsoft.Net.Http.Headers;

namespace ChatOpsBot.Features.Install;

/// <summary>The bytes one response sends: a whole file (200) or one range of it (206).</summary>
internal readonly record struct ByteRange(long From, long To, bool Partial)
{
    public long Length => To - From + 1;
}

/// <summary>
/// Sends an IPA with HTTP range semantics (one range: 206; unsatisfiable: 416), streamed from the file through a
/// pooled buffer, never held in memory, counting the bytes that actually left so downloads can be recorded.
/// </summary>
internal static class IpaDownload
{
    private const int BufferSize = 128 * 1024;

    public static EntityTagHeaderValue ETagOf(string sha256) => new($"\"{sha256}\"");

    /// <summary>What the request asks for: the single range it names, or the whole file; null when unsatisfiable.</summary>
    public static ByteRange? Select(HttpRequest request, long size, EntityTagHeaderValue etag)
    {
        if (RequestedRange(request, etag) is not { } range)
            return new ByteRange(0, size - 1, Partial: false);
        return Resolve(range, size) is { } satisfiable ? new ByteRange(satisfiable.From, satisfiable.To, Partial: true) : null;
    }

    public static void AnswerUnsatisfiable(HttpResponse response, long size, EntityTagHeaderValue etag)
    {
        Describe(response, etag);
        response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
        response.Headers.ContentRange = new ContentRangeHeaderValue(size).ToString();
        response.ContentLength = 0;
    }

    /// <summary>Answers with the range's headers and, unless <paramref name="body"/> is null (a HEAD), its bytes read from that stream.</summary>
    public static async Task<(long Bytes, bool ReachedEnd)> SendAsync(HttpContext http, long size, Stream? body, EntityTagHeaderValue etag, ByteRange range, CancellationToken cancellationToken)
    {
        var response = http.Response;
        Describe(response, etag);
        if (range.Partial)
        {
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = new ContentRangeHeaderValue(range.From, range.To, size).ToString();
        }
        var length = range.Length;
        response.ContentLength = length;
        if (body is null || length == 0)
            return (0, false);

        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long sent = 0;
        try
        {
            while (sent < length)
            {
                var read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - sent)), cancellationToken);
                if (read == 0)
                    break;
                await response.Body.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                sent += read;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client went away; what was sent still counts towards its download.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return (sent, sent == length && range.To == size - 1);
    }

    private static void Describe(HttpResponse response, EntityTagHeaderValue etag)
    {
        response.Headers.AcceptRanges = "bytes";
        response.Headers.ETag = etag.ToString();
        response.ContentType = "application/octet-stream";
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
