using ChatOpsBot.Data;
using ChatOpsBot.Features.Links;
using Microsoft.EntityFrameworkCore;

namespace ChatOpsBot.Features.Builds;

/// <summary>A revoked build and how many of its live links stopped working with it.</summary>
internal sealed record RevokedBuild(Build Build, int LinksStopped);

/// <summary>Revokes builds for the API (<c>DELETE /api/v1/builds/{id}</c>) and for chat (<c>revoke</c>).</summary>
internal sealed class BuildRevocation(ChatOpsBotDb db, InstallLinks links, TimeProvider time)
{
    /// <summary>Marks the build revoked (once) and stops every live link to it; null when there is no such build.</summary>
    public async Task<RevokedBuild?> RevokeAsync(long buildId, CancellationToken cancellationToken)
    {
        var build = await db.Builds.Include(b => b.App).SingleOrDefaultAsync(b => b.Id == buildId, cancellationToken);
        if (build is null)
            return null;
        if (build.State != BuildState.Revoked)
        {
            build.State = BuildState.Revoked;
            build.RevokedAt = time.GetUtcNow().UtcDateTime;
            await db.SaveChangesAsync(cancellationToken);
        }
        return new RevokedBuild(build, await links.RevokeForBuildAsync(buildId, cancellationToken));
    }
}
