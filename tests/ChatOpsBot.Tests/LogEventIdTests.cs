using System.Reflection;
using Microsoft.Extensions.Logging;

namespace ChatOpsBot.Tests;

/// <summary>Operators alert on event ids, so each id names exactly one event across the solution.</summary>
public sealed class LogEventIdTests
{
    private static readonly Assembly[] ProductAssemblies =
    [
        typeof(Program).Assembly,
        typeof(Slack.SlackOptions).Assembly,
        typeof(Teams.TeamsOptions).Assembly,
        typeof(Core.Chat.ChatEngine).Assembly,
        typeof(PropertyList.Plist).Assembly,
    ];

    private static IEnumerable<(string Method, int EventId)> LogEvents() =>
        from assembly in ProductAssemblies
        from type in assembly.GetTypes()
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
        where attribute is not null
        select ($"{type.FullName}.{method.Name}", attribute.EventId);

    [Fact]
    public void EveryLogEventHasItsOwnId()
    {
        var events = LogEvents().ToList();
        Assert.True(events.Count >= 40, $"found only {events.Count} log events; the reflection no longer sees them");
        var duplicates = events.GroupBy(e => e.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Method))}").ToList();
        Assert.True(duplicates.Count == 0, "event ids used more than once:\n" + string.Join("\n", duplicates));
    }

    [Fact]
    public void EveryLogEventHasAnId()
    {
        var unnumbered = LogEvents().Where(e => e.EventId <= 0).Select(e => e.Method).ToList();
        Assert.True(unnumbered.Count == 0, "log events without an id: " + string.Join(", ", unnumbered));
    }
}
