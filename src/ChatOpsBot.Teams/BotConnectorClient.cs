using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Teams;

/// <summary>
/// Posts activities to the Bot Connector of a conversation's service URL with the bot's token; retries throttling
/// and gateway failures with backoff and jitter, honouring <c>Retry-After</c>.
/// </summary>
internal sealed class BotConnectorClient(
    HttpClient http,
    BotTokenClient tokens,
    ServiceUrlTrust trust,
    IOptions<TeamsOptions> options,
    TimeProvider time,
    ILogger<BotConnectorClient> logger)
{
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(2);

    /// <summary>Answers an activity in its conversation; returns the new activity's id, or null when it could not be sent.</summary>
    public Task<string?> ReplyAsync(string serviceUrl, string conversationId, string replyToId, JsonObject activity, CancellationToken cancellationToken) =>
        PostAsync("reply", ActivitiesUrl(serviceUrl, conversationId, replyToId), serviceUrl, activity, cancellationToken);

    /// <summary>Starts a new message in a conversation.</summary>
    public Task<string?> SendAsync(string serviceUrl, string conversationId, JsonObject activity, CancellationToken cancellationToken) =>
        PostAsync("send", ActivitiesUrl(serviceUrl, conversationId, null), serviceUrl, activity, cancellationToken);

    /// <summary>
    /// Creates (or, for a person the bot already chats with, finds) a conversation, such as the 1:1 chat with one
    /// person; returns its id, or null when it could not be created.
    /// </summary>
    public async Task<string?> CreateConversationAsync(string serviceUrl, JsonObject parameters, CancellationToken cancellationToken) =>
        await PostAsync("create conversation", new Uri($"{serviceUrl.TrimEnd('/')}/v3/conversations"), serviceUrl, parameters, cancellationToken)
            is { Length: > 0 } id ? id : null;

    /// <summary>
    /// One attempt at starting a message in a conversation, for callers that retry durably themselves (the
    /// announcement outbox): nothing is retried or thrown for what the Connector answered; what happened is returned.
    /// </summary>
    public async Task<ConnectorAttempt> SendOnceAsync(string serviceUrl, string conversationId, JsonObject activity, CancellationToken cancellationToken)
    {
        const string Operation = "proactive send";
        var url = ActivitiesUrl(serviceUrl, conversationId, null);
        if (!await trust.IsTrustedAsync(serviceUrl, cancellationToken))
        {
            TeamsLog.UntrustedServiceUrl(logger, url.Host);
            return new ConnectorAttempt(null, null, null, null, "the service URL never arrived in a validated token");
        }
        try
        {
            var token = await tokens.GetTokenAsync(cancellationToken);
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(activity.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, cancellationToken);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
                return new ConnectorAttempt(response.StatusCode, await ReadIdAsync(response, cancellationToken), null, null, "");
            var error = await response.Content.ReadAsStringAsync(cancellationToken);
            error = error.Length > 500 ? error[..500] : error;
            var correlation = response.Headers.TryGetValues("X-Correlating-OperationId", out var values) ? values.FirstOrDefault() : null;
            TeamsLog.ConnectorFailed(logger, Operation, status, correlation, error);
            var retryAfter = response.Headers.RetryAfter switch
            {
                { Delta: { } delta } => delta,
                { Date: { } date } => date - time.GetUtcNow(),
                _ => (TimeSpan?)null,
            };
            return new ConnectorAttempt(response.StatusCode, null, retryAfter > TimeSpan.Zero ? retryAfter : null, correlation, error);
        }
        catch (HttpRequestException e)
        {
            // The token endpoint or the Connector could not be reached, or the token endpoint refused.
            return new ConnectorAttempt(null, null, null, null, e.Message);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ConnectorAttempt(null, null, null, null, "timed out");
        }
    }

    /// <summary>
    /// One attempt at replacing an activity the bot posted (<c>PUT …/activities/{activityId}</c>), for best-effort
    /// updates: nothing retried, nothing thrown; true when the Connector took it.
    /// </summary>
    public async Task<bool> UpdateOnceAsync(string serviceUrl, string conversationId, string activityId, JsonObject activity, CancellationToken cancellationToken)
    {
        const string Operation = "update activity";
        var url = ActivitiesUrl(serviceUrl, conversationId, activityId);
        if (!await trust.IsTrustedAsync(serviceUrl, cancellationToken))
        {
            TeamsLog.UntrustedServiceUrl(logger, url.Host);
            return false;
        }
        try
        {
            var token = await tokens.GetTokenAsync(cancellationToken);
            using var request = new HttpRequestMessage(HttpMethod.Put, url)
            {
                Content = new StringContent(activity.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
                return true;
            var error = await response.Content.ReadAsStringAsync(cancellationToken);
            var correlation = response.Headers.TryGetValues("X-Correlating-OperationId", out var values) ? values.FirstOrDefault() : null;
            TeamsLog.ConnectorFailed(logger, Operation, (int)response.StatusCode, correlation, error.Length > 500 ? error[..500] : error);
            return false;
        }
        catch (HttpRequestException e)
        {
            TeamsLog.ConnectorFailed(logger, Operation, 0, null, e.Message);
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            TeamsLog.ConnectorFailed(logger, Operation, 0, null, "timed out");
            return false;
        }
    }

    /// <summary>
    /// The tenant a member of a conversation belongs to (<c>GET …/v3/conversations/{id}/members/{memberId}</c>, whose
    /// answer is a TeamsChannelAccount with the person's own <c>tenantId</c>); one attempt, null when it could not be read.
    /// </summary>
    public async Task<string?> GetMemberTenantAsync(string serviceUrl, string conversationId, string memberId, CancellationToken cancellationToken)
    {
        const string Operation = "get member";
        var url = new Uri($"{serviceUrl.TrimEnd('/')}/v3/conversations/{Uri.EscapeDataString(conversationId)}/members/{Uri.EscapeDataString(memberId)}");
        if (!await trust.IsTrustedAsync(serviceUrl, cancellationToken))
        {
            TeamsLog.UntrustedServiceUrl(logger, url.Host);
            return null;
        }
        try
        {
            var token = await tokens.GetTokenAsync(cancellationToken);
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var error = await response.Content.ReadAsStringAsync(cancellationToken);
                var correlation = response.Headers.TryGetValues("X-Correlating-OperationId", out var values) ? values.FirstOrDefault() : null;
                TeamsLog.ConnectorFailed(logger, Operation, (int)response.StatusCode, correlation, error.Length > 500 ? error[..500] : error);
                return null;
            }
            var member = await response.Content.ReadFromJsonAsync(TeamsJson.Default.JsonNode, cancellationToken);
            return member?["tenantId"] is JsonValue tenant && tenant.TryGetValue<string>(out var id) && id.Length > 0 ? id : null;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or InvalidOperationException)
        {
            TeamsLog.ConnectorFailed(logger, Operation, 0, null, e.Message);
            return null;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            TeamsLog.ConnectorFailed(logger, Operation, 0, null, "timed out");
            return null;
        }
    }

    /// <summary><c>{serviceUrl}/v3/conversations/{id}/activities[/{replyToId}]</c>, ids escaped, never a double slash.</summary>
    public static Uri ActivitiesUrl(string serviceUrl, string conversationId, string? replyToId)
    {
        var url = $"{serviceUrl.TrimEnd('/')}/v3/conversations/{Uri.EscapeDataString(conversationId)}/activities";
        return new Uri(replyToId is null ? url : $"{url}/{Uri.EscapeDataString(replyToId)}");
    }

    private async Task<string?> PostAsync(string operation, Uri url, string serviceUrl, JsonObject activity, CancellationToken cancellationToken)
    {
        if (!await trust.IsTrustedAsync(serviceUrl, cancellationToken))
        {
            TeamsLog.UntrustedServiceUrl(logger, url.Host);
            return null;
        }
        var settings = options.Value;
        var body = activity.ToJsonString();
        for (var attempt = 1; ; attempt++)
        {
            var token = await tokens.GetTokenAsync(cancellationToken);
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
                return await ReadIdAsync(response, cancellationToken);

            var status = (int)response.StatusCode;
            if (IsRetryable(response.StatusCode) && attempt < settings.MaxAttempts)
            {
                var delay = RetryDelay(response.Headers.RetryAfter, attempt, settings.RetryBaseDelay, time.GetUtcNow());
                TeamsLog.Retrying(logger, operation, status, delay);
                await Task.Delay(delay, time, cancellationToken);
                continue;
            }
            var error = await response.Content.ReadAsStringAsync(cancellationToken);
            var correlation = response.Headers.TryGetValues("X-Correlating-OperationId", out var values) ? values.FirstOrDefault() : null;
            TeamsLog.ConnectorFailed(logger, operation, status, correlation, error.Length > 500 ? error[..500] : error);
            return null;
        }
    }

    public static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.PreconditionFailed or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout;

    /// <summary><c>Retry-After</c> when given (capped); otherwise exponential backoff with jitter in [50 %, 100 %].</summary>
    public static TimeSpan RetryDelay(RetryConditionHeaderValue? retryAfter, int attempt, TimeSpan baseDelay, DateTimeOffset now)
    {
        var requested = retryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => (TimeSpan?)null,
        };
        if (requested is { } wait)
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxRetryAfter ? MaxRetryAfter : wait;
        var backoff = baseDelay * Math.Pow(2, attempt - 1);
#pragma warning disable CA5394 // Jitter spreads retries; it needs no unpredictability.
        return backoff * (0.5 + Random.Shared.NextDouble() / 2);
#pragma warning restore CA5394
    }

    private static async Task<string?> ReadIdAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var resource = await response.Content.ReadFromJsonAsync(TeamsJson.Default.JsonNode, cancellationToken);
            return resource?["id"]?.GetValue<string>() ?? "";
        }
        catch (JsonException)
        {
            return "";
        }
        catch (InvalidOperationException)
        {
            return "";
        }
    }
}

/// <summary>What one call to the Connector came to.</summary>
/// <param name="Status">The Connector's answer; null when there was none (network, token endpoint, untrusted URL).</param>
/// <param name="Id">The new activity's id, on success.</param>
/// <param name="RetryAfter">The Connector's Retry-After, when it gave one.</param>
/// <param name="CorrelationId">The Connector's X-Correlating-OperationId, for Microsoft's support.</param>
/// <param name="Error">What went wrong, as the Connector or the network said it.</param>
internal sealed record ConnectorAttempt(HttpStatusCode? Status, string? Id, TimeSpan? RetryAfter, string? CorrelationId, string Error);
