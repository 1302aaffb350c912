namespace ChatOpsBot.Features.Links;

/// <summary>The person a link is minted for: chat platform, workspace or tenant, user id and display name.</summary>
internal sealed record Requester(string Platform, string? Workspace, string UserId, string UserName);
