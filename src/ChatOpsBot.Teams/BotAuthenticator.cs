using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChatOpsBot.Teams;

/// <summary>
/// What a validated token vouches for, to be held against the activity once its body has been read.
/// </summary>
/// <param name="ServiceUrl">The token's <c>serviceurl</c> claim.</param>
/// <param name="FromBotConnector">Issued by the Bot Connector (whose signing key endorsed Teams), not by Entra.</param>
internal sealed record BotCaller(string ServiceUrl, bool FromBotConnector);

/// <summary>
/// Checks the Bot Connector's JWT on every inbound activity, in two steps so nothing of an unauthenticated request's
/// body is read: first the token alone (signature with a published RS256/384/512 key, issuer, audience, lifetime with
/// five minutes of skew on the injected clock, and the signing key's endorsement of Teams), then, once the body is
/// parsed, that the activity is the one the token was issued for (its channel and its <c>serviceUrl</c> equal to the
/// <c>serviceurl</c> claim). Entra-issued tokens are accepted only from the app's own tenant.
/// </summary>
internal sealed class BotAuthenticator(
    IOptions<TeamsOptions> options,
    BotSigningKeys keys,
    ServiceUrlTrust trust,
    TimeProvider time,
    ILogger<BotAuthenticator> logger)
{
    public const string BotFrameworkIssuer = "https://api.botframework.com";

    /// <summary>The only channel this bot serves; the Connector's signing key must endorse it.</summary>
    public const string TeamsChannelId = "msteams";

    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);
    private static readonly string[] AllowedAlgorithms =
        [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512];

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    /// <summary>The caller the token vouches for, or null (logged) when the token is not authentic.</summary>
    public async Task<BotCaller?> ValidateTokenAsync(string? authorization, CancellationToken cancellationToken)
    {
        var (caller, failure) = await CheckTokenAsync(authorization, cancellationToken);
        if (failure is not null)
            TeamsLog.RequestRejected(logger, failure);
        return caller;
    }

    /// <summary>
    /// True when the activity is the one the token was issued for; its service URL is then trusted, by every replica.
    /// </summary>
    public async Task<bool> AuthorizeAsync(BotCaller caller, Activity activity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(activity);
        string? failure = null;
        if (caller.FromBotConnector && !string.Equals(activity.ChannelId, TeamsChannelId, StringComparison.Ordinal))
            failure = "the signing key does not endorse the channel";
        else if (!string.Equals(caller.ServiceUrl, activity.ServiceUrl, StringComparison.OrdinalIgnoreCase))
            failure = "serviceurl claim does not match the activity";
        if (failure is not null)
        {
            TeamsLog.RequestRejected(logger, failure);
            return false;
        }
        await trust.TrustAsync(caller.ServiceUrl, cancellationToken);
        return true;
    }

    private async Task<(BotCaller?, string?)> CheckTokenAsync(string? authorization, CancellationToken cancellationToken)
    {
        const string Scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.Ordinal) || authorization.Length == Scheme.Length)
            return (null, "no bearer token");
        var token = authorization[Scheme.Length..].Trim();
        if (!_handler.CanReadToken(token))
            return (null, "the token is not a JWT");
        JsonWebToken jwt;
        try
        {
            jwt = _handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return (null, "the token is not a JWT");
        }
        if (!AllowedAlgorithms.Contains(jwt.Alg, StringComparer.Ordinal))
            return (null, $"algorithm {jwt.Alg} is not allowed");
        if (string.IsNullOrEmpty(jwt.Kid))
            return (null, "the token names no key");

        var settings = options.Value;
        var fromBotConnector = jwt.Issuer == BotFrameworkIssuer;
        var entraIssuers = settings.MicrosoftAppTenantId is { Length: > 0 } tenant
            ? new[] { $"https://sts.windows.net/{tenant}/", $"https://login.microsoftonline.com/{tenant}/v2.0" }
            : [];
        if (!fromBotConnector && !entraIssuers.Contains(jwt.Issuer, StringComparer.Ordinal))
            return (null, "issuer not allowed");
        var source = fromBotConnector ? keys.Channel : keys.Entra;
        if (source is null)
            return (null, "no keys for the issuer");

        var key = await source.FindAsync(jwt.Kid, cancellationToken);
        if (key is null)
            return (null, "unknown signing key");

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
            return (null, result.Exception switch
            {
                SecurityTokenInvalidAudienceException => "wrong audience",
                SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "bad signature",
                _ => "invalid token",
            });

        var now = time.GetUtcNow().UtcDateTime;
        if (!jwt.TryGetPayloadValue<long>("exp", out _) || now > jwt.ValidTo + ClockSkew)
            return (null, "token expired");
        if (jwt.TryGetPayloadValue<long>("nbf", out _) && now < jwt.ValidFrom - ClockSkew)
            return (null, "token not yet valid");

        if (fromBotConnector)
        {
            if (key.Endorsements is null || !key.Endorsements.Contains(TeamsChannelId, StringComparer.Ordinal))
                return (null, "the signing key does not endorse the channel");
        }
        else if (!jwt.TryGetPayloadValue<string>("tid", out var tid) || !string.Equals(tid, settings.MicrosoftAppTenantId, StringComparison.OrdinalIgnoreCase))
        {
            return (null, "the tenant claim does not match the issuer");
        }

        if (!jwt.TryGetPayloadValue<string>("serviceurl", out var serviceUrl) || string.IsNullOrEmpty(serviceUrl))
            return (null, "the token has no serviceurl claim");
        if (!TeamsOptions.IsSecureOrLoopback(serviceUrl))
            return (null, "serviceurl is not https");
        return (new BotCaller(serviceUrl, fromBotConnector), null);
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
