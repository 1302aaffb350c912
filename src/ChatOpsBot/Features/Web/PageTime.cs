using System.Globalization;

namespace ChatOpsBot.Features.Web;

/// <summary>Times on the chat pages: UTC, to the minute, the same for every reader (pages render without script).</summary>
internal static class PageTime
{
    public static string Utc(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static string Utc(DateTimeOffset time) => Utc(time.UtcDateTime);
}
