using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Slack;

/// <summary>The verified raw body of a Slack request, for handlers to parse.</summary>
internal sealed record SlackRequestBody(byte[] Bytes);

/// <summary>
/// Verifies Slack's signature over the exact bytes received before anything parses them; unsigned, tampered and
/// replayed requests get 401 and nothing else happens.
/// </summary>
internal sealed class SlackSignatureFilter(IOptions<SlackOptions> options, TimeProvider time, ILogger<SlackSignatureFilter> logger) : IEndpointFilter
{
    // Slack's payloads are a few kilobytes; a message with 50 blocks stays well under this.
    private const int MaxBodyBytes = 1024 * 1024;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var request = http.Request;
        if (request.ContentLength > MaxBodyBytes)
            return TypedResults.StatusCode(StatusCodes.Status413PayloadTooLarge);

        request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: MaxBodyBytes);
        byte[] body;
        try
        {
            using var copy = new MemoryStream();
            await request.Body.CopyToAsync(copy, http.RequestAborted);
            body = copy.ToArray();
        }
        catch (IOException) when (!http.RequestAborted.IsCancellationRequested)
        {
            return TypedResults.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }
        request.Body.Position = 0;

        var check = SlackSignature.Verify(
            options.Value.SigningSecret!,
            request.Headers[SlackSignature.TimestampHeader],
            request.Headers[SlackSignature.SignatureHeader],
            body,
            time.GetUtcNow());
        if (check != SlackSignatureCheck.Valid)
        {
            SlackLog.RequestRejected(logger, request.Path, check);
            return TypedResults.Unauthorized();
        }
        http.Features.Set(new SlackRequestBody(body));
        return await next(context);
    }
}
