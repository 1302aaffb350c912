using System.Data.Common;
using ChatOpsBot.Core.Doctor;

namespace ChatOpsBot.Features.Web;

/// <summary>
/// The Health page's way of running <see cref="Features.Doctor.Doctor"/>: one run at a time for the whole host (each
/// run mints a probe link and sends requests through the public origin and to the chat platforms), within a time
/// budget a proxy in front will wait for, cancelled when the browser goes away, and with every configured secret
/// blanked from what is shown even though findings never carry one by contract.
/// </summary>
internal sealed partial class HealthPageRuns(IConfiguration configuration, TimeProvider time, ILogger<HealthPageRuns> logger) : IDisposable
{
    /// <summary>Under the 60 seconds nginx and most proxies wait for an answer by default.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(45);

    private const string Redacted = "[redacted]";

    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<IReadOnlyList<DoctorFinding>> RunAsync(Features.Doctor.Doctor doctor, string person, CancellationToken requestAborted)
    {
        using var budget = new CancellationTokenSource(Budget, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, budget.Token);
        IReadOnlyList<DoctorFinding> findings;
        try
        {
            await _gate.WaitAsync(linked.Token);
            try
            {
                findings = await doctor.RunAsync(linked.Token, inRunningHost: true);
            }
            finally
            {
                _gate.Release();
            }
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested && !requestAborted.IsCancellationRequested)
        {
            LogOverBudget(person, (int)Budget.TotalSeconds);
            return [DoctorFinding.Problem("doctor", $"The checks did not finish within {Budget.TotalSeconds:0} seconds and were stopped: something they reach "
                + "(the public origin, a chat platform, the database) answers too slowly. Run \"dotnet ChatOpsBot.dll doctor\" on the host to see every check, without a time limit.")];
        }
        var secrets = Secrets();
        findings = [.. findings.Select(f => f with { Message = Blank(f.Message, secrets) })];
        var problems = findings.Count(f => f.Verdict == DoctorVerdict.Problem);
        var warnings = findings.Count(f => f.Verdict == DoctorVerdict.Warning);
        LogRan(person, problems, warnings);
        return findings;
    }

    private static string Blank(string message, IReadOnlyList<string> secrets)
    {
        foreach (var secret in secrets)
            message = message.Replace(secret, Redacted, StringComparison.Ordinal);
        return message;
    }

    /// <summary>The values of every setting that holds a secret: tokens, passwords, keys, and the password of a connection string.</summary>
    private List<string> Secrets()
    {
        var secrets = new List<string>();
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            if (string.IsNullOrEmpty(value) || value.Length < 6)
                continue;
            var name = key[(key.LastIndexOf(':') + 1)..];
            if (name.Contains("Secret", StringComparison.OrdinalIgnoreCase) || name.Contains("Password", StringComparison.OrdinalIgnoreCase)
                || name.Contains("Token", StringComparison.OrdinalIgnoreCase) || name.EndsWith("Key", StringComparison.OrdinalIgnoreCase)
                || name.Equals("KeyHash", StringComparison.OrdinalIgnoreCase))
                secrets.Add(value);
            else if (name.Equals("ConnectionString", StringComparison.OrdinalIgnoreCase) && PasswordOf(value) is { Length: >= 4 } password)
                secrets.Add(password);
        }
        // The longest first, so a secret that contains another is blanked whole.
        return [.. secrets.Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length)];
    }

    private static string? PasswordOf(string connectionString)
    {
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
            return builder.TryGetValue("Password", out var password) ? password as string : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    public void Dispose() => _gate.Dispose();

    [LoggerMessage(EventId = 6850, Level = LogLevel.Information, Message = "The Health page ran the doctor for {Person}: {Problems} problems, {Warnings} warnings")]
    private partial void LogRan(string person, int problems, int warnings);

    [LoggerMessage(EventId = 6851, Level = LogLevel.Warning, Message = "The Health page stopped the doctor for {Person} after {Seconds} seconds")]
    private partial void LogOverBudget(string person, int seconds);
}
