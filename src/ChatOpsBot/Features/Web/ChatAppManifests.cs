using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Web;

/// <summary>
/// The chat apps' manifests of <c>manifests/</c> (copied next to the binaries), filled in with this host's settings:
/// Slack's app manifest with <c>PublicBaseUrl</c>, and the Teams app package for <c>Teams:MicrosoftAppId</c>, as
/// <c>manifests/teams/package.py</c> makes it.
/// </summary>
internal sealed class ChatAppManifests(IOptions<ChatOpsBotOptions> options, IConfiguration configuration)
{
    private const string ExampleOrigin = "https://chatopsbot.example.com";

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "manifests");

    public string PublicBaseUrl => options.Value.PublicBaseUrl.TrimEnd('/');

    public string SlackManifest() =>
        File.ReadAllText(Path.Combine(Folder, "slack", "manifest.yml")).Replace(ExampleOrigin, PublicBaseUrl, StringComparison.Ordinal);

    /// <summary>The Azure Bot's Microsoft App ID, when it is a GUID as Azure makes them.</summary>
    public string? TeamsBotId => configuration["Teams:MicrosoftAppId"] is { } id && Guid.TryParse(id, out var guid) ? guid.ToString("D") : null;

    /// <summary>The Teams app package (manifest.json, color.png, outline.png); null without a bot id.</summary>
    public byte[]? TeamsPackage()
    {
        if (TeamsBotId is not { } botId)
            return null;
        var manifest = File.ReadAllText(Path.Combine(Folder, "teams", "manifest.json"))
            .Replace("{{BOT_ID}}", botId, StringComparison.Ordinal)
            .Replace("{{TEAMS_APP_ID}}", TeamsAppId(botId).ToString("D"), StringComparison.Ordinal);
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(archive, "manifest.json", Encoding.UTF8.GetBytes(manifest));
            foreach (var icon in (ReadOnlySpan<string>)["color.png", "outline.png"])
                Add(archive, icon, File.ReadAllBytes(Path.Combine(Folder, "teams", icon)));
        }
        return zip.ToArray();
    }

    private static void Add(ZipArchive archive, string name, byte[] data)
    {
        var entry = archive.CreateEntry(name, CompressionLevel.Optimal);
        using var stream = entry.Open();
        stream.Write(data);
    }

    /// <summary>
    /// The Teams app's own id: the name-based (version 5) UUID of <c>chatopsbot-teams:{bot id}</c> in the URL
    /// namespace, as package.py derives it, so packaging the same bot again updates the app rather than adding one.
    /// </summary>
    internal static Guid TeamsAppId(string botId)
    {
        var ns = Guid.Parse("6ba7b811-9dad-11d1-80b4-00c04fd430c8").ToByteArray(bigEndian: true);
        var name = Encoding.UTF8.GetBytes("chatopsbot-teams:" + botId.ToLowerInvariant());
#pragma warning disable CA5350 // SHA-1 is what RFC 4122's version 5 is defined with; nothing here is a secret.
        var hash = SHA1.HashData([.. ns, .. name]);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
