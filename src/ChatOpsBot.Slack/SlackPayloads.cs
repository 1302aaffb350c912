using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace ChatOpsBot.Slack;

/// <summary>The parts of Slack's payloads this app reads; everything else is ignored.</summary>
internal static class SlackPayloads
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    /// <summary>The verified body as a form; the signature filter has already read it.</summary>
    public static Dictionary<string, StringValues> Form(HttpContext http)
    {
        var body = http.Features.GetRequiredFeature<SlackRequestBody>();
        using var reader = new FormReader(System.Text.Encoding.UTF8.GetString(body.Bytes));
        return reader.ReadForm();
    }

    public static T? FromJson<T>(ReadOnlySpan<byte> json) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static T? FromJson<T>(string json) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Slack escapes these three in the text users type; the engine wants what they typed.</summary>
    public static string Unescape(string text) =>
        text.Replace("&lt;", "<", StringComparison.Ordinal).Replace("&gt;", ">", StringComparison.Ordinal).Replace("&amp;", "&", StringComparison.Ordinal);

    public static Uri? WebUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) ? uri : null;
}

internal sealed record SlackEventEnvelope(
    string? Type,
    string? Challenge,
    string? TeamId,
    string? EventId,
    SlackEvent? Event,
    IReadOnlyList<SlackAuthorization>? Authorizations);

// Team: the workspace of the person who posted, where Slack says it. UserTeam: in a Slack Connect conversation, the
// workspace of a person from another one.
internal sealed record SlackEvent(
    string? Type,
    string? Subtype,
    string? User,
    string? BotId,
    string? Text,
    string? Channel,
    string? ChannelType,
    string? Ts,
    string? ThreadTs,
    string? Team = null,
    string? UserTeam = null);

internal sealed record SlackAuthorization(string? TeamId, string? UserId, bool IsBot);

internal sealed record SlackInteraction(
    string? Type,
    SlackIdentity? Team,
    SlackInteractionUser? User,
    SlackIdentity? Channel,
    string? ResponseUrl,
    IReadOnlyList<SlackBlockAction>? Actions);

internal sealed record SlackIdentity(string? Id);

// TeamId: the person's own workspace, which in a Slack Connect channel need not be the app's.
internal sealed record SlackInteractionUser(string? Id, string? Username, string? Name, string? TeamId);

internal sealed record SlackBlockAction(string? Type, string? ActionId, string? Value, string? Url);
