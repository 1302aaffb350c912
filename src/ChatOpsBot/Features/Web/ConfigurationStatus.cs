namespace ChatOpsBot.Features.Web;

/// <summary>One setting on the Settings page: its key, and "set"/"not set" (or a choice that is no secret, such as a provider).</summary>
internal sealed record SettingStatus(string Key, string State, bool Missing, string? Hint = null);

/// <summary>An area of the configuration (Slack, Teams, …): whether it is in use, and each of its settings.</summary>
internal sealed record AreaStatus(string Name, string Summary, bool Ready, IReadOnlyList<SettingStatus> Settings);

/// <summary>
/// What is configured and what is missing, read from the host's configuration: a secret is only ever "set" or
/// "not set", never its value.
/// </summary>
internal static class ConfigurationStatus
{
    public static List<AreaStatus> Read(IConfiguration configuration)
    {
        bool Has(string key) => !string.IsNullOrWhiteSpace(configuration[key]);
        int Count(string key) => configuration.GetSection(key).GetChildren().Count(c => !string.IsNullOrWhiteSpace(c.Value));
        SettingStatus Secret(string key, string? hint = null) => new(key, Has(key) ? "set" : "not set", !Has(key), Has(key) ? null : hint);
        SettingStatus Optional(string key) => new(key, Has(key) ? "set" : "not set", false);
        SettingStatus List(string key, string none) => new(key, Count(key) is var n and > 0 ? $"{n} set" : none, false);
        SettingStatus Choice(string key, string fallback) => new(key, configuration[key] is { Length: > 0 } value ? value : fallback + " (default)", false);

        var slack = Has("Slack:SigningSecret") && Has("Slack:BotToken");
        var teams = Has("Teams:MicrosoftAppId") && Has("Teams:MicrosoftAppPassword");
        var slackSignIn = Has("Web:Slack:ClientId") && Has("Web:Slack:ClientSecret");
        var microsoftSignIn = Has("Web:Microsoft:ClientId") && Has("Web:Microsoft:ClientSecret");
        var s3 = string.Equals(configuration["ChatOpsBot:Artifacts:Provider"], "S3", StringComparison.OrdinalIgnoreCase);
        var postgres = string.Equals(configuration["ChatOpsBot:Database:Provider"], "Postgres", StringComparison.OrdinalIgnoreCase);
        return
        [
            new("Slack", slack ? "Connected: the bot answers in Slack." : "Not connected: create the app from the manifest on the set-up page, then set both secrets.", slack,
            [
                Secret("Slack:SigningSecret", "Basic Information → App Credentials → Signing Secret."),
                Secret("Slack:BotToken", "OAuth & Permissions → Bot User OAuth Token (xoxb-…)."),
                List("Slack:AllowedTeamIds", "the app's own workspace"),
                List("Slack:ReleaseManagers", "none"),
            ]),
            new("Microsoft Teams", teams ? "Connected: the bot answers in Teams." : "Not connected: register an Azure Bot, then set its app id and secret.", teams,
            [
                Secret("Teams:MicrosoftAppId", "The Azure Bot's Microsoft App ID."),
                Secret("Teams:MicrosoftAppPassword", "A client secret of that app registration."),
                Optional("Teams:MicrosoftAppTenantId"),
                List("Teams:AllowedTenantIds", "the app's own tenant"),
                List("Teams:ReleaseManagers", "none"),
            ]),
            new("Web sign-in", slackSignIn || microsoftSignIn
                    ? "People sign in with " + string.Join(" and ", new[] { slackSignIn ? "Slack" : null, microsoftSignIn ? "Microsoft" : null }.OfType<string>()) + "."
                    : "Only Admin API keys sign in: set up Sign in with Slack or Microsoft Entra ID for everyone else.", slackSignIn || microsoftSignIn,
            [
                Optional("Web:Slack:ClientId"),
                Optional("Web:Slack:ClientSecret"),
                Optional("Web:Microsoft:ClientId"),
                Optional("Web:Microsoft:ClientSecret"),
                Optional("Web:Microsoft:TenantId"),
                List("Web:Admins", "none"),
            ]),
            new("Storage", s3 ? "IPAs and icons are in an S3-compatible object store." : "IPAs and icons are files in the data directory.", true,
            [
                Choice("ChatOpsBot:Artifacts:Provider", "FileSystem"),
                .. s3
                    ? (SettingStatus[])[Secret("ChatOpsBot:Artifacts:S3:Bucket", "The bucket's name."), Optional("ChatOpsBot:Artifacts:S3:ServiceUrl"), Optional("ChatOpsBot:Artifacts:S3:AccessKeyId"), Optional("ChatOpsBot:Artifacts:S3:SecretAccessKey")]
                    : [],
            ]),
            new("Database", postgres ? "PostgreSQL: replicas may share it." : "SQLite in the data directory: one host.", true,
            [
                Choice("ChatOpsBot:Database:Provider", "Sqlite"),
                postgres ? Secret("ChatOpsBot:Database:ConnectionString", "Npgsql's connection string.") : Optional("ChatOpsBot:Database:ConnectionString"),
                Choice("ChatOpsBot:Database:MigrateAtStart", "true"),
            ]),
            new("Download offload", configuration["ChatOpsBot:Delivery:Offload"] is { Length: > 0 } offload && !offload.Equals("None", StringComparison.OrdinalIgnoreCase)
                    ? "IPA bytes are sent by the proxy or the object store." : "The host sends IPA bytes itself.", true,
            [
                Choice("ChatOpsBot:Delivery:Offload", "None"),
            ]),
            new("Metrics", Has("OTEL_EXPORTER_OTLP_ENDPOINT") || string.Equals(configuration["ChatOpsBot:Metrics:Prometheus"], "true", StringComparison.OrdinalIgnoreCase)
                    ? "Metrics are exported." : "No metrics are exported.", true,
            [
                Choice("ChatOpsBot:Metrics:Prometheus", "false"),
                List("ChatOpsBot:Metrics:AllowedNetworks", "none"),
                Optional("OTEL_EXPORTER_OTLP_ENDPOINT"),
            ]),
        ];
    }
}
