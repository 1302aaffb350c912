using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChatOpsBot.Teams;

/// <summary>
/// Checks the Bot Connector's JWT on every inbound activity: signature (RS256/384/512) with a published key, issuer,
/// audience, lifetime with five minutes of skew on the injected clock, the signing key's endorsement of the channel,
/// and the <c>serviceurl</c> claim against the activity. Entra-issued tokens are accepted only from the app's own tenant.
/// </summary>
internal sealed class BotAuthenticator(
    IOptions<TeamsOptions> options,
    BotSigningKeys keys,
    TrustedServiceUrls trustedServiceUrls,
    TimeProvider time,
    ILogger<BotAuthenticator> logger)
{
    public const string BotFrameworkIssuer = "https://api.botframework.com";
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);
    private static readonly string[] AllowedAlgorithms =
        [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512];

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    /// <summary>Null when the request is authentic; otherwise why not (for the log, never for the caller).</summary>
    public async Task<string?> AuthenticateAsync(string? authorization, Activity activity, CancellationToken cancellationToken)
    {
        var failure = await CheckAsync(authorization, activity, cancellationToken);
        if (failure is null)
            trustedServiceUrls.Add(activity.ServiceUrl!);
        else
            TeamsLog.RequestRejected(logger, failure);
        return failure;
    }

    private async Task<string?> CheckAsync(string? authorization, Activity activity, CancellationToken cancellationToken)
    {
        const string Scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.Ordinal) || authorization.Length == Scheme.Length)
            return "no bearer token";
        var token = authorization[Scheme.Length..].Trim();
        if (!_handler.CanReadToken(token))
            return "the token is not a JWT";
        JsonWebToken jwt;
        try
        {
            jwt = _handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return "the token is not a JWT";
        }
        if (!AllowedAlgorithms.Contains(jwt.Alg, StringComparer.Ordinal))
            return $"algorithm {jwt.Alg} is not allowed";
        if (string.IsNullOrEmpty(jwt.Kid))
            return "the token names no key";

        var settings = options.Value;
        var fromBotConnector = jwt.Issuer == BotFrameworkIssuer;
        var entraIssuers = settings.MicrosoftAppTenantId is { Length: > 0 } tenant
            ? new[] { $"https://sts.windows.net/{tenant}/", $"https://login.microsoftonline.com/{tenant}/v2.0" }
            : [];
        if (!fromBotConnector && !entraIssuers.Contains(jwt.Issuer, StringComparer.Ordinal))
            return "issuer not allowed";
        var source = fromBotConnector ? keys.Channel : keys.Entra;
        if (source is null)
            return "no keys for the issuer";

        var key = await source.FindAsync(jwt.Kid, cancellationToken);
        if (key is null)
            return "unknown signing key";

        var result = await _handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidIssuer = jwt.Issuer,
            ValidAudience = settings.MicrosoftAppId,
            IssuerSigningKey = key.Key,
            ValidAlgorithms = AllowedAlgorithms,
            // Lifetime is checked below on the injected clock.
            ValidateLifetime = false,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            TryAllIssuerSigningKeys = false,
        });
        if (!result.IsValid)
            return result.Exception switch
            {
                SecurityTokenInvalidAudienceException => "wrong audience",
                SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "bad signature",
                _ => "invalid token",
            };

        var now = time.GetUtcNow().UtcDateTime;
        if (!jwt.TryGetPayloadValue<long>("exp", out _) || now > jwt.ValidTo + ClockSkew)
            return "token expired";
        if (jwt.TryGetPayloadValue<long>("nbf", out _) && now < jwt.ValidFrom - ClockSkew)
            return "token not yet valid";

        if (fromBotConnector)
        {
            if (key.Endorsements is null || activity.ChannelId is null || !key.Endorsements.Contains(activity.ChannelId, StringComparer.Ordinal))
                return "the signing key does not endorse the channel";
        }
        else if (!jwt.TryGetPayloadValue<string>("tid", out var tid) || !string.Equals(tid, settings.MicrosoftAppTenantId, StringComparison.OrdinalIgnoreCase))
        {
            return "the tenant claim does not match the issuer";
        }

        if (!jwt.TryGetPayloadValue<string>("serviceurl", out var serviceUrl) || string.IsNullOrEmpty(serviceUrl)
            || !string.Equals(serviceUrl, activity.ServiceUrl, StringComparison.OrdinalIgnoreCase))
            return "serviceurl claim does not match the activity";
        if (!TeamsOptions.IsSecureOrLoopback(serviceUrl))
            return "serviceurl is not https";
        return null;
    }
}

/// <summary>One key source per trusted issuer family.</summary>
internal sealed class BotSigningKeys(IOptions<TeamsOptions> options, IHttpClientFactory httpClients, TimeProvider time, ILogger<SigningKeySource> logger) : IDisposable
{
    public SigningKeySource Channel { get; } =
        new(new Uri(options.Value.ToBotFromChannelOpenIdMetadataUrl), httpClients, time, logger);

    public SigningKeySource? Entra { get; } =
        options.Value.EntraMetadataUrl is { } url ? new(url, httpClients, time, logger) : null;

    public void Dispose()
    {
        Channel.Dispose();
        Entra?.Dispose();
    }
}
