using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatOpsBot.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ActiveBuildsUniqueAndIconIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Builds_AppId_Channel_Sha256",
                table: "Builds");

            migrationBuilder.CreateIndex(
                name: "IX_Builds_AppId_Channel_Sha256",
                table: "Builds",
                columns: new[] { "AppId", "Channel", "Sha256" },
                unique: true,
                filter: "\"State\" = 'Active'");

            migrationBuilder.CreateIndex(
                name: "IX_Builds_IconSha256",
                table: "Builds",
                column: "IconSha256");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Builds_AppId_Channel_Sha256",
                table: "Builds");

            migrationBuilder.DropIndex(
                name: "IX_Builds_IconSha256",
                table: "Builds");

            migrationBuilder.CreateIndex(
                name: "IX_Builds_AppId_Channel_Sha256",
                table: "Builds",
                columns: new[] { "AppId", "Channel", "Sha256" },
                unique: true);
        }
    }
}
