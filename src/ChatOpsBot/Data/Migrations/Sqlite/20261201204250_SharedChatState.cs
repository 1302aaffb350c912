using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatOpsBot.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SharedChatState : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ChatEventClaims",
                columns: table => new
                {
                    Platform = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Key = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChatEventClaims", x => new { x.Platform, x.Key });
                });

            migrationBuilder.CreateTable(
                name: "TeamsServiceUrls",
                columns: table => new
                {
                    Url = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    TrustedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TeamsServiceUrls", x => x.Url);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ChatEventClaims_ExpiresAt",
                table: "ChatEventClaims",
                column: "ExpiresAt");

            // The remembered conversations' service URLs came from validated tokens and were trusted after a restart
            // before this table existed: they stay trusted. Keyed as TrustedServiceUrls.Key does (no trailing '/',
            // lower case); the SQL is the same on SQLite and PostgreSQL.
            migrationBuilder.Sql("""
                INSERT INTO "TeamsServiceUrls" ("Url", "TrustedAt")
                SELECT lower(rtrim("ServiceUrl", '/')), MIN("CreatedAt") FROM "TeamsConversations"
                WHERE length(rtrim("ServiceUrl", '/')) > 0
                GROUP BY lower(rtrim("ServiceUrl", '/'));
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ChatEventClaims");

            migrationBuilder.DropTable(
                name: "TeamsServiceUrls");
        }
    }
}
