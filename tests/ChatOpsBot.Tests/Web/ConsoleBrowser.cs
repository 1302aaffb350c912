using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Tests.Web;

/// <summary>
/// A person at the console without JavaScript: a cookie jar, no automatic redirects, and forms posted with the
/// antiforgery token of the page they came from.
/// </summary>
internal sealed partial class ConsoleBrowser : IDisposable
{
    private readonly HttpClient _client;

    private readonly ChatOpsBotApplication _app;

    public ConsoleBrowser(ChatOpsBotApplication app)
    {
        _app = app;
        using var loopback = app.CreateLoopbackClient();
        Cookies = new CookieContainer();
        _client = new HttpClient(new SocketsHttpHandler { CookieContainer = Cookies, UseCookies = true, AllowAutoRedirect = false })
        {
            BaseAddress = loopback.BaseAddress,
        };
    }

    public CookieContainer Cookies { get; }

    public Uri BaseAddress => _client.BaseAddress!;

    /// <summary>Headers sent with every request, such as a proxy's X-Forwarded-For.</summary>
    public System.Net.Http.Headers.HttpRequestHeaders Headers => _client.DefaultRequestHeaders;

    public Task<HttpResponseMessage> GetAsync(string path) => _client.GetAsync(path);

    public async Task<string> GetPageAsync(string path)
    {
        using var response = await _client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Xunit.Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return body;
    }

    /// <summary>Opens <paramref name="page"/> and posts <paramref name="fields"/> to <paramref name="action"/> (the page itself by default) with its antiforgery token.</summary>
    public async Task<HttpResponseMessage> SubmitAsync(string page, IEnumerable<KeyValuePair<string, string>> fields, string? action = null)
    {
        var html = await GetPageAsync(page);
        var token = AntiforgeryToken().Match(html);
        Xunit.Assert.True(token.Success, $"{page} has no antiforgery token");
        return await PostFormAsync(action ?? page, [.. fields, new("__antiforgery", WebUtility.HtmlDecode(token.Groups[1].Value))]);
    }

    public Task<HttpResponseMessage> PostFormAsync(string path, IEnumerable<KeyValuePair<string, string>> fields) =>
        _client.PostAsync(path, new FormUrlEncodedContent(fields));

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => _client.SendAsync(request);

    /// <summary>The antiforgery token of a page's form, as a browser would send it back.</summary>
    public static string AntiforgeryTokenOf(string html)
    {
        var token = AntiforgeryToken().Match(html);
        Xunit.Assert.True(token.Success, "the page has no antiforgery token");
        return WebUtility.HtmlDecode(token.Groups[1].Value);
    }

    /// <summary>Signs in with an Admin API key through the sign-in form; fails the test unless it works.</summary>
    public async Task SignInWithKeyAsync(string key)
    {
        using var response = await SubmitAsync("/signin", [new("key", key)]);
        Xunit.Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"sign-in: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>
    /// Gives the browser the session cookie the host issues after a sign-in of <paramref name="person"/>, sealed with
    /// the host's own keys: for tests of pages, not of how people sign in.
    /// </summary>
    public void SignInAs(Features.Web.ConsoleIdentity person)
    {
        var options = _app.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(Features.Web.ConsoleAuthentication.Scheme);
        var ticket = new AuthenticationTicket(person.ToPrincipal(), new AuthenticationProperties
        {
            IssuedUtc = _app.Clock.GetUtcNow(),
            ExpiresUtc = _app.Clock.GetUtcNow() + Features.Web.ConsoleAuthentication.SessionLifetime,
        }, Features.Web.ConsoleAuthentication.Scheme);
        Cookies.Add(BaseAddress, new Cookie(Features.Web.ConsoleAuthentication.CookieName, options.TicketDataFormat.Protect(ticket)));
    }

    /// <summary>A Slack member of workspace T0001 with the given role.</summary>
    public static Features.Web.ConsoleIdentity SlackPerson(Features.Web.ConsoleRole role = Features.Web.ConsoleRole.Member, string userId = "U0001", string name = "Ada") =>
        new("slack", "T0001", userId, name, role);

    [GeneratedRegex("name=\"__antiforgery\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    public void Dispose() => _client.Dispose();
}
