using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatOpsBot.Data.Migrations.Postgres
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
                    Platform = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Key = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChatEventClaims", x => new { x.Platform, x.Key });
                });

            migrationBuilder.CreateTable(
                name: "TeamsServiceUrls",
                columns: table => new
                {
                    Url = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    TrustedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
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
