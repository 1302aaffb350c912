using System.Data.Common;
using ChatOpsBot.Features.Install;
using Microsoft.AspNetCore.Diagnostics;

namespace ChatOpsBot.Data;

/// <summary>
/// While the database cannot be reached (a restart, a failover, a cut network), a request that needed it answers
/// 503 with Retry-After instead of a 500: the API as a problem, the install page as a page that says to try again.
/// The replica itself stays up and ready to serve again once the database answers; /readyz tells a load balancer.
/// </summary>
internal sealed partial class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    /// <summary>What a client is told to wait: a database restart or failover takes seconds.</summary>
    internal const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (Transient(exception) is not { } cause)
            return false;
        // The route's pattern, never the path: install paths carry the token.
        var route = (httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint as RouteEndpoint)?.RoutePattern.RawText;
        LogUnavailable(httpContext.Request.Method, route ?? "(no route)", cause.GetType().Name, cause.Message);
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The exception handler cleared what the install routes' filter had set.
        if (route?.StartsWith("/i/", StringComparison.Ordinal) == true)
            InstallEndpoints.KeepTokenPrivate(response.Headers);
        if (route?.TrimEnd('/') == "/i/{token}")
        {
            // The install page is read by people: the same page as every other of its answers, saying to retry.
            var nonce = InstallEndpoints.PageSecurityPolicy(response.Headers);
            response.ContentType = "text/html; charset=utf-8";
            await response.WriteAsync(InstallPage.RenderUnavailable(nonce), cancellationToken);
            return true;
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service unavailable",
                Detail = $"The database cannot be reached right now. Try again in {RetryAfterSeconds} seconds.",
            },
        });
    }

    /// <summary>
    /// The database error in the chain that says trying again may succeed (the server gone, restarting or refusing
    /// connections, a timeout), or null. EF Core wraps it (<c>InvalidOperationException</c>, <c>DbUpdateException</c>).
    /// </summary>
    internal static DbException? Transient(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException { IsTransient: true } transient)
                return transient;
        }
        return null;
    }

    [LoggerMessage(EventId = 5750, Level = LogLevel.Warning, Message = "The database is unreachable: {Method} {Route} answered 503 ({Error}: {Reason})")]
    private partial void LogUnavailable(string method, string route, string error, string reason);
}
