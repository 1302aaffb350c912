using System.Text;
using Microsoft.AspNetCore.Diagnostics;

namespace ChatOpsBot.Features.Web;

/// <summary>
/// Responses that end without a body (an unknown address, a form whose antiforgery token is missing or stale) are a
/// ProblemDetails document for programs and, for a person's browser, a page in the console's style.
/// </summary>
internal static class ErrorPages
{
    public static async Task WriteAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        if (ForPerson(http.Request))
        {
            var nonce = ConsolePageSecurity.Apply(http);
            http.Response.ContentType = "text/html; charset=utf-8";
            await http.Response.WriteAsync(Render(http.Response.StatusCode, nonce, http.Request.PathBase + "/"), http.RequestAborted);
            return;
        }
        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        if (!await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = { Status = http.Response.StatusCode } }))
            // A client that asked for something else still gets the problem document: the API has no other kind.
            await TypedResults.Problem(statusCode: http.Response.StatusCode).ExecuteAsync(http);
    }

    /// <summary>A browser's navigation outside the HTTP API, the chat webhooks and the job dashboard.</summary>
    private static bool ForPerson(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsPost(request.Method))
        && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase)
        && !request.Path.StartsWithSegments("/api") && !request.Path.StartsWithSegments("/slack")
        && !request.Path.StartsWithSegments("/hangfire") && !request.Path.StartsWithSegments("/openapi");

    private static string Render(int status, string nonce, string start)
    {
        var (title, text) = status switch
        {
            StatusCodes.Status404NotFound => ("This page does not exist", "The address may be mistyped, or what it showed was removed."),
            StatusCodes.Status400BadRequest => ("That did not go through", "The form may have been open too long, or was sent from elsewhere. Go back, reload the page and try again."),
            StatusCodes.Status405MethodNotAllowed => ("That does not work here", "This address does not take that kind of request."),
            StatusCodes.Status413PayloadTooLarge => ("That file is too large", "This ChatOpsBot does not take uploads of that size."),
            StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden => ("Not for you", "Signing in with another account may help."),
            >= 500 => ("Something went wrong", "ChatOpsBot could not answer this time. Try again in a moment."),
            _ => ("That did not work", "Go back and try again."),
        };
        return new StringBuilder(ConsoleStyle.Css.Length + 800)
            .Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<meta name=\"robots\" content=\"noindex\"><meta name=\"color-scheme\" content=\"light dark\"><title>").Append(title).Append(" · ChatOpsBot</title>")
            .Append("<style nonce=\"").Append(nonce).Append("\">").Append(ConsoleStyle.Css).Append("</style></head><body>")
            .Append("<header class=\"bar\"><a class=\"brand\" href=\"").Append(System.Net.WebUtility.HtmlEncode(start)).Append("\">ChatOpsBot</a></header><main id=\"main\" data-status=\"").Append(status).Append("\"><h1>")
            .Append(title).Append("</h1><p>").Append(text).Append("</p><p><a href=\"").Append(System.Net.WebUtility.HtmlEncode(start)).Append("\">Go to the start page</a></p></main></body></html>")
            .ToString();
    }
}
