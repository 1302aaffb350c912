using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Slack;

/// <summary>Slack answered <c>ok:false</c> (the error code is Slack's), or gave up after retries.</summary>
internal sealed class SlackApiException(string method, string error)
    : Exception($"Slack Web API {method} failed: {error}")
{
    public string Method { get; } = method;

    public string Error { get; } = error;
}

/// <summary>What one Web API call came to, when the caller decides about retries.</summary>
internal abstract record SlackAttempt
{
    private SlackAttempt()
    {
    }

    /// <summary><c>ok:true</c>, with the whole answer.</summary>
    public sealed record Succeeded(JsonElement Answer) : SlackAttempt;

    /// <summary>429, 5xx, a network failure or a timeout: Slack did not decide.</summary>
    public sealed record Unavailable(string Error, TimeSpan? RetryAfter) : SlackAttempt;

    /// <summary>Slack answered, and said no: <c>ok:false</c> with its error code, or a 4xx.</summary>
    public sealed record Refused(string Error) : SlackAttempt;
}

/// <summary>
/// Slack's Web API and response URLs. JSON with a charset, the bot token only on Web API calls, <c>ok:false</c>
/// surfaced with Slack's error code and never retried; 429 waits for <c>Retry-After</c>; 5xx and network failures are
/// retried with exponential backoff.
/// </summary>
internal sealed class SlackApiClient(HttpClient http, IOptions<SlackOptions> options, TimeProvider time, ILogger<SlackApiClient> logger)
{
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(1);

    public Task<JsonElement> PostMessageAsync(string channel, JsonObject message, string? threadTs, CancellationToken cancellationToken)
    {
        message["channel"] = channel;
        if (threadTs is not null)
            message["thread_ts"] = threadTs;
        return CallAsync("chat.postMessage", message, cancellationToken);
    }

    public Task<JsonElement> PostEphemeralAsync(string channel, string user, JsonObject message, string? threadTs, CancellationToken cancellationToken)
    {
        message["channel"] = channel;
        message["user"] = user;
        if (threadTs is not null)
            message["thread_ts"] = threadTs;
        return CallAsync("chat.postEphemeral", message, cancellationToken);
    }

    /// <summary>Calls a Web API method with a JSON body and returns the whole <c>ok:true</c> answer.</summary>
    public async Task<JsonElement> CallAsync(string method, JsonObject arguments, CancellationToken cancellationToken)
    {
        var body = arguments.ToJsonString();
        using var response = await SendWithRetriesAsync(method, () => ApiRequest(method, body), cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw Failed(method, "http_" + ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));

        JsonElement answer;
        try
        {
            answer = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        }
        catch (JsonException)
        {
            throw Failed(method, "invalid_response");
        }
        if (answer.ValueKind != JsonValueKind.Object || !answer.TryGetProperty("ok", out var ok) || ok.ValueKind != JsonValueKind.True)
        {
            var error = answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String
                ? e.GetString()! : "unknown_error";
            throw Failed(method, error);
        }
        if (answer.TryGetProperty("warning", out var warning) && warning.ValueKind == JsonValueKind.String)
            SlackLog.ApiWarning(logger, method, warning.GetString()!);
        return answer;
    }

    /// <summary>
    /// One attempt at a Web API method, for callers that schedule their own retries durably (the announcement
    /// outbox): nothing is retried here and nothing is thrown for what Slack answered; what happened is returned.
    /// </summary>
    public async Task<SlackAttempt> CallOnceAsync(string method, JsonObject arguments, CancellationToken cancellationToken)
    {
        using var request = ApiRequest(method, arguments.ToJsonString());
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            return new SlackAttempt.Unavailable("network error: " + e.HttpRequestError, null);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SlackAttempt.Unavailable("timed out", null);
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                // Not capped: the caller waits durably, and Slack means what it says.
                return new SlackAttempt.Unavailable("429 Too Many Requests", response.Headers.RetryAfter?.Delta is { } delta && delta > TimeSpan.Zero ? delta : null);
            if (status >= 500)
                return new SlackAttempt.Unavailable("http_" + status.ToString(CultureInfo.InvariantCulture), null);
            if (!response.IsSuccessStatusCode)
                return new SlackAttempt.Refused("http_" + status.ToString(CultureInfo.InvariantCulture));
            JsonElement answer;
            try
            {
                answer = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            }
            catch (JsonException)
            {
                return new SlackAttempt.Unavailable("invalid_response", null);
            }
            if (answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True)
                return new SlackAttempt.Succeeded(answer);
            var error = answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String
                ? e.GetString()! : "unknown_error";
            SlackLog.ApiFailed(logger, method, error);
            return new SlackAttempt.Refused(error);
        }
    }

    private HttpRequestMessage ApiRequest(string method, string body)
    {
        var settings = options.Value;
        var url = new Uri(new Uri(settings.ApiBaseUrl.EndsWith('/') ? settings.ApiBaseUrl : settings.ApiBaseUrl + "/"), method);
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = Json(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.BotToken);
        return request;
    }

    /// <summary>Posts a message to a slash command's or an action's response_url; the URL carries its own authority.</summary>
    public async Task RespondAsync(Uri responseUrl, JsonObject message, CancellationToken cancellationToken)
    {
        const string Method = "response_url";
        var body = message.ToJsonString();
        using var response = await SendWithRetriesAsync(Method, () => new HttpRequestMessage(HttpMethod.Post, responseUrl) { Content = Json(body) }, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw Failed(Method, "http_" + ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>One post to a response_url, for best-effort updates: nothing retried, nothing thrown; true when Slack took it.</summary>
    public async Task<bool> RespondOnceAsync(Uri responseUrl, JsonObject message, CancellationToken cancellationToken)
    {
        const string Method = "response_url";
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, responseUrl) { Content = Json(message.ToJsonString()) };
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
                return true;
            SlackLog.ApiFailed(logger, Method, "http_" + ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
            return false;
        }
        catch (HttpRequestException e)
        {
            SlackLog.ApiFailed(logger, Method, "network error: " + e.HttpRequestError);
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            SlackLog.ApiFailed(logger, Method, "timed out");
            return false;
        }
    }

    private async Task<HttpResponseMessage> SendWithRetriesAsync(string method, Func<HttpRequestMessage> create, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage? response = null;
            string status;
            TimeSpan delay;
            try
            {
                using var request = create();
                response = await http.SendAsync(request, cancellationToken);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    status = "429";
                    delay = RetryAfter(response) ?? Backoff(settings.RetryBaseDelay, attempt);
                }
                else if ((int)response.StatusCode >= 500)
                {
                    status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
                    delay = Backoff(settings.RetryBaseDelay, attempt);
                }
                else
                {
                    return response;
                }
            }
            catch (HttpRequestException e) when (attempt < settings.MaxAttempts)
            {
                status = e.HttpRequestError.ToString();
                delay = Backoff(settings.RetryBaseDelay, attempt);
            }
            if (attempt >= settings.MaxAttempts)
                return response!;
            response?.Dispose();
            SlackLog.Retrying(logger, method, status, delay);
            await Task.Delay(delay, time, cancellationToken);
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta > MaxRetryAfter ? MaxRetryAfter : delta;
        return null;
    }

    private static TimeSpan Backoff(TimeSpan baseDelay, int attempt) => baseDelay * Math.Pow(2, attempt - 1);

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    private SlackApiException Failed(string method, string error)
    {
        SlackLog.ApiFailed(logger, method, error);
        return new SlackApiException(method, error);
    }
}
