using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Teams;

/// <summary>
/// The bot's own token for the Connector, by client credentials; cached until shortly before it expires and fetched by
/// one caller at a time.
/// </summary>
internal sealed class BotTokenClient(HttpClient http, IOptions<TeamsOptions> options, BotTokenCache cache, TimeProvider time, ILogger<BotTokenClient> logger)
{
    /// <summary>Refresh this long before expiry, so a token never runs out during a request or its retries.</summary>
    public static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    public async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (cache.Current is { } cached && time.GetUtcNow() < cached.RefreshAt)
            return cached.Token;
        await cache.Lock.WaitAsync(cancellationToken);
        try
        {
            if (cache.Current is { } fresh && time.GetUtcNow() < fresh.RefreshAt)
                return fresh.Token;
            var settings = options.Value;
            using var form = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = settings.MicrosoftAppId!,
                ["client_secret"] = settings.MicrosoftAppPassword!,
                ["scope"] = settings.ToChannelFromBotOAuthScope,
            });
            using var response = await http.PostAsync(settings.LoginUrl, form, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var error = await response.Content.ReadAsStringAsync(cancellationToken);
                TeamsLog.TokenFailed(logger, (int)response.StatusCode, error.Length > 500 ? error[..500] : error);
                throw new HttpRequestException($"The token endpoint answered {(int)response.StatusCode}.", null, response.StatusCode);
            }
            var body = await response.Content.ReadFromJsonAsync(TokenJson.Default.TokenResponse, cancellationToken);
            if (body?.AccessToken is not { Length: > 0 } token || body.ExpiresIn <= 0)
                throw new HttpRequestException("The token endpoint answered without a token.");
            var lifetime = TimeSpan.FromSeconds(body.ExpiresIn);
            cache.Current = new CachedToken(token, time.GetUtcNow() + (lifetime > 2 * RefreshMargin ? lifetime - RefreshMargin : lifetime / 2));
            return token;
        }
        finally
        {
            cache.Lock.Release();
        }
    }
}

internal sealed record CachedToken(string Token, DateTimeOffset RefreshAt);

/// <summary>The token outlives the transient typed clients, so it lives in a singleton of its own.</summary>
internal sealed class BotTokenCache : IDisposable
{
    public SemaphoreSlim Lock { get; } = new(1, 1);

    public CachedToken? Current { get; set; }

    public void Dispose() => Lock.Dispose();
}

internal sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string? AccessToken,
    [property: JsonPropertyName("expires_in")] long ExpiresIn,
    [property: JsonPropertyName("token_type")] string? TokenType);

[JsonSerializable(typeof(TokenResponse))]
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowReadingFromString)]
internal sealed partial class TokenJson : JsonSerializerContext;
