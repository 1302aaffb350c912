using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatOpsBot.Tests.Devices;

/// <summary>One POST /v1/devices as the fake received it, and what was wrong with its token (empty when nothing).</summary>
internal sealed record AppleCall(string Udid, string Name, string Platform, JsonElement Header, JsonElement Claims, List<string> Problems);

/// <summary>
/// App Store Connect's devices endpoint on a loopback port. It checks every token as Apple documents it (ES256 over
/// header and payload with the team key's public half; header alg, kid, typ; claims iss, aud, iat on the caller's
/// clock, exp at most 20 minutes after iat) and the JSON:API body, then answers 201, or what a UDID was set up to get.
/// </summary>
internal sealed class FakeAppStoreConnect : IAsyncDisposable
{
    public const string IssuerId = "57246542-96fe-1a63-e053-0824d011072a";
    public const string KeyId = "2X9R4HXF34";

    /// <summary>Apple's 409 for a UDID the team already has (fastlane#17426).</summary>
    public static readonly (int, string) AlreadyExists = (409, Error("409", "ENTITY_ERROR", "There is a problem with the request entity", "A device with number '{0}' already exists on this team."));

    /// <summary>Apple's answer to a UDID it does not take.</summary>
    public static readonly (int, string) Invalid = (409, Error("409", "ENTITY_ERROR.ATTRIBUTE.INVALID", "An attribute value is invalid.", "An invalid value '{0}' was provided for the parameter 'udid'."));

    /// <summary>Apple's 403 once the membership year's device slots are used up.</summary>
    public static readonly (int, string) LimitReached = (403, Error("403", "FORBIDDEN_ERROR", "This request is forbidden for security reasons", "Your development team has reached the maximum number of registered iPhone devices."));

    private readonly WebApplication _app;

    private FakeAppStoreConnect(WebApplication app) => _app = app;

    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>The .p8 file's text, as Apple hands it out.</summary>
    public string PrivateKeyPem => Key.ExportPkcs8PrivateKeyPem();

    public string BaseUrl { get; private set; } = "";

    /// <summary>The caller's clock, for checking iat.</summary>
    public Func<DateTimeOffset> Now { get; set; } = () => DateTimeOffset.UtcNow;

    public ConcurrentDictionary<string, (int Status, string Body)> Answers { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<AppleCall> Calls { get; } = new();

    public static async Task<FakeAppStoreConnect> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeAppStoreConnect(app);
        app.MapPost("/v1/devices", (Delegate)fake.PostDeviceAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        fake.BaseUrl = address;
        return fake;
    }

    public Dictionary<string, string?> Settings(string? privateKey = null) => new()
    {
        ["ChatOpsBot:AppStoreConnect:IssuerId"] = IssuerId,
        ["ChatOpsBot:AppStoreConnect:KeyId"] = KeyId,
        ["ChatOpsBot:AppStoreConnect:PrivateKey"] = privateKey ?? PrivateKeyPem,
        ["ChatOpsBot:AppStoreConnect:BaseUrl"] = BaseUrl,
    };

    private async Task<IResult> PostDeviceAsync(HttpContext context)
    {
        var problems = new List<string>();
        JsonElement header = default, claims = default;
        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal) || authorization[7..].Split('.') is not { Length: 3 } parts)
        {
            problems.Add("no bearer JWT");
        }
        else
        {
            header = JsonDocument.Parse(Base64Url(parts[0])).RootElement.Clone();
            claims = JsonDocument.Parse(Base64Url(parts[1])).RootElement.Clone();
            if (!Key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url(parts[2]), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                problems.Add("the ES256 signature does not verify with the key's public half");
            Expect(problems, header, "alg", "ES256");
            Expect(problems, header, "kid", KeyId);
            Expect(problems, header, "typ", "JWT");
            Expect(problems, claims, "iss", IssuerId);
            Expect(problems, claims, "aud", "appstoreconnect-v1");
            var iat = claims.TryGetProperty("iat", out var i) && i.ValueKind == JsonValueKind.Number ? i.GetInt64() : -1;
            var exp = claims.TryGetProperty("exp", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetInt64() : -1;
            if (iat != Now().ToUnixTimeSeconds())
                problems.Add($"iat {iat} is not the caller's now {Now().ToUnixTimeSeconds()}");
            if (exp <= iat || exp - iat > 1200)
                problems.Add($"exp - iat is {exp - iat} s: Apple takes at most 20 minutes");
        }
        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        var data = body.RootElement.GetProperty("data");
        var attributes = data.GetProperty("attributes");
        if (data.GetProperty("type").GetString() != "devices")
            problems.Add("data.type is not devices");
        var udid = attributes.GetProperty("udid").GetString()!;
        var call = new AppleCall(udid, attributes.GetProperty("name").GetString()!, attributes.GetProperty("platform").GetString()!, header, claims, problems);
        Calls.Enqueue(call);
        if (problems.Count > 0)
            return Results.Content(Error("401", "NOT_AUTHORIZED", "Authentication credentials are missing or invalid.", string.Join("; ", problems)), "application/json", statusCode: 401);
        if (Answers.TryGetValue(udid, out var answer))
            return Results.Content(answer.Body.Replace("{0}", udid, StringComparison.Ordinal), "application/json", statusCode: answer.Status);
        return Results.Content(JsonSerializer.Serialize(new
        {
            data = new { type = "devices", id = "D" + udid[..8], attributes = new { name = call.Name, platform = "IOS", udid, status = "ENABLED" } },
        }), "application/json", statusCode: 201);
    }

    private static void Expect(List<string> problems, JsonElement json, string name, string value)
    {
        if (!json.TryGetProperty(name, out var actual) || actual.ValueKind != JsonValueKind.String || actual.GetString() != value)
            problems.Add($"{name} is not {value}");
    }

    private static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
    }

    private static string Error(string status, string code, string title, string detail) =>
        JsonSerializer.Serialize(new { errors = new[] { new { id = Guid.NewGuid().ToString(), status, code, title, detail } } });

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        Key.Dispose();
    }
}
