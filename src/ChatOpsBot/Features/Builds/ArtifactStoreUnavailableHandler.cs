using ChatOpsBot.Features.Install;
using Microsoft.AspNetCore.Diagnostics;

namespace ChatOpsBot.Features.Builds;

/// <summary>
/// While the artifact store (an S3 bucket) cannot be reached or refuses a request, the request answers 503 with
/// Retry-After as a problem document: an upload has stored nothing (no row, no object, no temporary file), a download
/// has sent nothing. The host keeps serving everything that does not need the store.
/// </summary>
internal sealed partial class ArtifactStoreUnavailableHandler(IProblemDetailsService problems, ILogger<ArtifactStoreUnavailableHandler> logger) : IExceptionHandler
{
    internal const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not ArtifactStoreUnavailableException)
            return false;
        // The route's pattern, never the path: install paths carry the token.
        var route = (httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint as RouteEndpoint)?.RoutePattern.RawText;
        LogUnavailable(httpContext.Request.Method, route ?? "(no route)");
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (route?.StartsWith("/i/", StringComparison.Ordinal) == true)
        {
            // The exception handler cleared what the install routes' filter had set.
            response.Headers.CacheControl = "no-store";
            InstallEndpoints.KeepTokenPrivate(response.Headers);
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Artifact store unavailable",
                Detail = HttpMethods.IsPost(httpContext.Request.Method)
                    ? $"The artifact store could not take the file, so nothing was stored. Try again in {RetryAfterSeconds} seconds."
                    : $"The artifact store cannot be read right now. Try again in {RetryAfterSeconds} seconds.",
            },
        });
    }

    [LoggerMessage(EventId = 6103, Level = LogLevel.Warning, Message = "The artifact store is unavailable: {Method} {Route} answered 503")]
    private partial void LogUnavailable(string method, string route);
}
