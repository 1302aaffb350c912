using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChatOpsBot.Features.Devices;

/// <summary><c>ChatOpsBot:AppStoreConnect</c>: registering devices through Apple's App Store Connect API (optional).</summary>
internal sealed class AppStoreConnectOptions
{
    public const string Section = "ChatOpsBot:AppStoreConnect";

    /// <summary>The team key's issuer id (Users and Access › Integrations › App Store Connect API); set, registration is on.</summary>
    public string? IssuerId { get; set; }

    public string? KeyId { get; set; }

    /// <summary>The .p8 key: its PEM text, or the path of the file.</summary>
    public string? PrivateKey { get; set; }

    public string BaseUrl { get; set; } = "https://api.appstoreconnect.apple.com";

    public bool Enabled => !string.IsNullOrEmpty(IssuerId);

    /// <summary>The key's PEM: the value itself when it is PEM text, else the file it names.</summary>
    public string PrivateKeyPem() =>
        PrivateKey!.TrimStart().StartsWith("-----BEGIN", StringComparison.Ordinal) ? PrivateKey : File.ReadAllText(PrivateKey!);

    /// <summary>The EC P-256 key the .p8 holds.</summary>
    public ECDsa LoadKey()
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(PrivateKeyPem());
            if (key.KeySize != 256)
                throw new CryptographicException("the key is not an EC P-256 key");
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }
}

/// <summary>With an issuer id, the key id and a readable P-256 key are required; the host does not start otherwise.</summary>
internal sealed class AppStoreConnectOptionsValidator : IValidateOptions<AppStoreConnectOptions>
{
    private const string S = AppStoreConnectOptions.Section;

    public ValidateOptionsResult Validate(string? name, AppStoreConnectOptions options)
    {
        var failures = new List<string>();
        if (!options.Enabled)
        {
            if (!string.IsNullOrEmpty(options.KeyId) || !string.IsNullOrEmpty(options.PrivateKey))
                failures.Add($"{S}:IssuerId is required when {S}:KeyId or {S}:PrivateKey is set.");
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
        if (string.IsNullOrEmpty(options.KeyId))
            failures.Add($"{S}:KeyId is required when {S}:IssuerId is set.");
        if (string.IsNullOrEmpty(options.PrivateKey))
        {
            failures.Add($"{S}:PrivateKey is required when {S}:IssuerId is set.");
        }
        else
        {
            try
            {
                using var key = options.LoadKey();
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                // Never the value: it may be the key itself.
                failures.Add($"{S}:PrivateKey cannot be used ({e.GetType().Name}): it must be the .p8 file Apple gave (an EC P-256 key in PEM), or its path.");
            }
        }
        if (!Uri.TryCreate(options.BaseUrl, UriKind.Absolute, out var baseUrl)
            || !(baseUrl.Scheme == Uri.UriSchemeHttps || (baseUrl.Scheme == Uri.UriSchemeHttp && PublicBaseUrl.IsLoopback(baseUrl))))
            failures.Add($"{S}:BaseUrl must be an https URL (http only for loopback hosts).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// Apple's <c>POST /v1/devices</c> with an ES256 JWT of at most 20 minutes (header alg, kid, typ; claims iss, iat,
/// exp, aud "appstoreconnect-v1"), minted per call from the injected clock. Apple's answers become outcomes.
/// </summary>
internal sealed partial class AppStoreConnectClient(HttpClient http, IOptions<AppStoreConnectOptions> options, TimeProvider time, ILogger<AppStoreConnectClient> logger)
{
    /// <summary>Well under Apple's 20 minutes: a token is minted for each call.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(10);

    /// <summary>Apple's limit for a device's name.</summary>
    public const int MaxNameLength = 50;

    public string Token()
    {
        var settings = options.Value;
        using var ec = settings.LoadKey();
        var now = time.GetUtcNow().UtcDateTime;
        // The key is disposed after signing, so no signature provider may keep it in a cache.
        var key = new ECDsaSecurityKey(ec) { KeyId = settings.KeyId, CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false } };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = settings.IssuerId,
            Audience = "appstoreconnect-v1",
            IssuedAt = now,
            Expires = now + TokenLifetime,
            TokenType = "JWT",
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
        });
    }

    public async Task<(AppleRegistrationOutcome Outcome, string? Detail)> RegisterAsync(string name, string udid, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["type"] = "devices",
                ["attributes"] = new JsonObject
                {
                    ["name"] = name.Length <= MaxNameLength ? name : name[..MaxNameLength],
                    ["platform"] = "IOS",
                    ["udid"] = udid,
                },
            },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(options.Value.BaseUrl.TrimEnd('/') + "/"), "v1/devices"))
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token());
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.Created)
                return (AppleRegistrationOutcome.Registered, null);
            var (code, detail) = ErrorOf(await response.Content.ReadAsStringAsync(cancellationToken));
            var outcome = response.StatusCode switch
            {
                HttpStatusCode.Conflict when detail?.Contains("already exists", StringComparison.OrdinalIgnoreCase) == true => AppleRegistrationOutcome.AlreadyRegistered,
                HttpStatusCode.Conflict when detail?.Contains("invalid", StringComparison.OrdinalIgnoreCase) == true
                    || code?.StartsWith("ENTITY_ERROR.ATTRIBUTE.INVALID", StringComparison.Ordinal) == true => AppleRegistrationOutcome.InvalidUdid,
                HttpStatusCode.Forbidden when detail?.Contains("maximum number", StringComparison.OrdinalIgnoreCase) == true => AppleRegistrationOutcome.LimitReached,
                HttpStatusCode.Forbidden => AppleRegistrationOutcome.NotAllowed,
                _ => AppleRegistrationOutcome.Failed,
            };
            LogAnswered((int)response.StatusCode, code ?? "", outcome);
            // Apple's detail quotes the UDID: release managers may see it, but it is kept out of the log above.
            return (outcome, outcome == AppleRegistrationOutcome.Failed ? $"Apple answered {(int)response.StatusCode}{(detail is null ? "" : ": " + detail)}" : detail);
        }
        catch (HttpRequestException e)
        {
            LogUnreachable(e.GetType().Name);
            return (AppleRegistrationOutcome.Failed, "App Store Connect could not be reached");
        }
        // HttpClient's own deadline (not the caller's cancellation): the same answer as no answer at all.
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            LogUnreachable(e.GetType().Name);
            return (AppleRegistrationOutcome.Failed, "App Store Connect did not answer in time");
        }
    }

    /// <summary>The first error's code and detail of a JSON:API error document.</summary>
    private static (string? Code, string? Detail) ErrorOf(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0)
            {
                var first = errors[0];
                string? Text(string property) => first.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                return (Text("code"), Text("detail") ?? Text("title"));
            }
        }
        catch (JsonException)
        {
        }
        return (null, null);
    }

    [LoggerMessage(EventId = 7060, Level = LogLevel.Information, Message = "App Store Connect answered {Status} {Code} to a device registration: {Outcome}")]
    private partial void LogAnswered(int status, string code, AppleRegistrationOutcome outcome);

    [LoggerMessage(EventId = 7061, Level = LogLevel.Warning, Message = "App Store Connect could not be reached to register a device ({Error})")]
    private partial void LogUnreachable(string error);
}
