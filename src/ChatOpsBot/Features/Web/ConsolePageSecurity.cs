using System.Security.Cryptography;
using Microsoft.AspNetCore.Mvc.Filters;

namespace ChatOpsBot.Features.Web;

/// <summary>
/// The install page's discipline for every console page: no external assets, inline style and script only under a
/// per-response nonce, forms only to this origin, never framed, never cached.
/// </summary>
internal sealed class ConsolePageSecurity : IAsyncPageFilter
{
    private const string NonceKey = "chatopsbot:csp-nonce";

    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        Apply(context.HttpContext);
        return next();
    }

    /// <summary>Sets the headers and returns the nonce the page's style and script carry.</summary>
    public static string Apply(HttpContext http)
    {
        if (http.Items[NonceKey] is string existing)
            return existing;
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        http.Items[NonceKey] = nonce;
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy =
            $"default-src 'none'; img-src 'self' data:; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        return nonce;
    }

    /// <summary>The nonce of this response, for the layout.</summary>
    public static string Nonce(HttpContext http) => Apply(http);
}
