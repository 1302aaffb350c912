using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace ChatOpsBot.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Apps",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Slug = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    DisplayName = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    BundleId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    DefaultChannel = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Apps", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "TeamsConversations",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ConversationId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ServiceUrl = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    TenantId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    BotId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ConversationType = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Name = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TeamsConversations", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Builds",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    AppId = table.Column<long>(type: "bigint", nullable: false),
                    Channel = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Version = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    BuildNumber = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    BundleId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    DisplayName = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    MinimumOsVersion = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    DeviceFamilies = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Sha256 = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Size = table.Column<long>(type: "bigint", nullable: false),
                    IconSha256 = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    UploadedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UploadedBy = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Notes = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    RevokedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    ProfileType = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    ProfileName = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ProfileTeamName = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ProfileTeamId = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ProfileExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    ProfileDeviceCount = table.Column<int>(type: "integer", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Builds", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Builds_Apps_AppId",
                        column: x => x.AppId,
                        principalTable: "Apps",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Subscriptions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    AppId = table.Column<long>(type: "bigint", nullable: false),
                    Channel = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Platform = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Workspace = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ConversationId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ServiceUrl = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ConversationName = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    CreatedBy = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Subscriptions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Subscriptions_Apps_AppId",
                        column: x => x.AppId,
                        principalTable: "Apps",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Announcements",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    BuildId = table.Column<long>(type: "bigint", nullable: false),
                    AnnouncedBy = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Announcements", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Announcements_Builds_BuildId",
                        column: x => x.BuildId,
                        principalTable: "Builds",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "InstallLinks",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    BuildId = table.Column<long>(type: "bigint", nullable: false),
                    TokenHash = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: true),
                    Platform = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Workspace = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    UserId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    UserName = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    MaxDownloads = table.Column<int>(type: "integer", nullable: true),
                    RevokedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    ExpiredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InstallLinks", x => x.Id);
                    table.ForeignKey(
                        name: "FK_InstallLinks_Builds_BuildId",
                        column: x => x.BuildId,
                        principalTable: "Builds",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "AnnouncementDeliveries",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    AnnouncementId = table.Column<long>(type: "bigint", nullable: false),
                    Platform = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Workspace = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ConversationId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ServiceUrl = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ConversationName = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    NextAttemptAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ClaimToken = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ClaimExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    LastError = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    DeliveredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    MessageId = table.Column<string>(type: "text", nullable: true, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnnouncementDeliveries", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AnnouncementDeliveries_Announcements_AnnouncementId",
                        column: x => x.AnnouncementId,
                        principalTable: "Announcements",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LinkDownloads",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    LinkId = table.Column<long>(type: "bigint", nullable: false),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    LastActivityAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UserAgent = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    BytesSent = table.Column<long>(type: "bigint", nullable: false),
                    Completed = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LinkDownloads", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LinkDownloads_InstallLinks_LinkId",
                        column: x => x.LinkId,
                        principalTable: "InstallLinks",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LinkEvents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    LinkId = table.Column<long>(type: "bigint", nullable: false),
                    Kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UserAgent = table.Column<string>(type: "text", nullable: true, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LinkEvents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LinkEvents_InstallLinks_LinkId",
                        column: x => x.LinkId,
                        principalTable: "InstallLinks",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LinkMessages",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    LinkId = table.Column<long>(type: "bigint", nullable: false),
                    Platform = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ResponseUrl = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ResponseUrlExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    ResponseUrlUses = table.Column<int>(type: "integer", nullable: false),
                    ServiceUrl = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ConversationId = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ActivityId = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    ClaimToken = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ClaimExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LinkMessages", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LinkMessages_InstallLinks_LinkId",
                        column: x => x.LinkId,
                        principalTable: "InstallLinks",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AnnouncementDeliveries_AnnouncementId",
                table: "AnnouncementDeliveries",
                column: "AnnouncementId");

            migrationBuilder.CreateIndex(
                name: "IX_AnnouncementDeliveries_State_NextAttemptAt",
                table: "AnnouncementDeliveries",
                columns: new[] { "State", "NextAttemptAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Announcements_BuildId",
                table: "Announcements",
                column: "BuildId");

            migrationBuilder.CreateIndex(
                name: "IX_Apps_Slug",
                table: "Apps",
                column: "Slug",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Builds_AppId_Channel_Sha256",
                table: "Builds",
                columns: new[] { "AppId", "Channel", "Sha256" },
                unique: true,
                filter: "\"State\" = 'Active'");

            migrationBuilder.CreateIndex(
                name: "IX_Builds_AppId_Channel_State",
                table: "Builds",
                columns: new[] { "AppId", "Channel", "State" });

            migrationBuilder.CreateIndex(
                name: "IX_Builds_IconSha256",
                table: "Builds",
                column: "IconSha256");

            migrationBuilder.CreateIndex(
                name: "IX_Builds_Sha256",
                table: "Builds",
                column: "Sha256");

            migrationBuilder.CreateIndex(
                name: "IX_InstallLinks_BuildId_RevokedAt",
                table: "InstallLinks",
                columns: new[] { "BuildId", "RevokedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_InstallLinks_ExpiredAt_ExpiresAt",
                table: "InstallLinks",
                columns: new[] { "ExpiredAt", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_InstallLinks_TokenHash",
                table: "InstallLinks",
                column: "TokenHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LinkDownloads_LinkId",
                table: "LinkDownloads",
                column: "LinkId");

            migrationBuilder.CreateIndex(
                name: "IX_LinkEvents_LinkId",
                table: "LinkEvents",
                column: "LinkId");

            migrationBuilder.CreateIndex(
                name: "IX_LinkMessages_LinkId",
                table: "LinkMessages",
                column: "LinkId");

            migrationBuilder.CreateIndex(
                name: "IX_LinkMessages_State_ClaimExpiresAt",
                table: "LinkMessages",
                columns: new[] { "State", "ClaimExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Subscriptions_AppId_Channel_Platform_ConversationId",
                table: "Subscriptions",
                columns: new[] { "AppId", "Channel", "Platform", "ConversationId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Subscriptions_Platform_ConversationId",
                table: "Subscriptions",
                columns: new[] { "Platform", "ConversationId" });

            migrationBuilder.CreateIndex(
                name: "IX_TeamsConversations_ConversationId",
                table: "TeamsConversations",
                column: "ConversationId",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AnnouncementDeliveries");

            migrationBuilder.DropTable(
                name: "LinkDownloads");

            migrationBuilder.DropTable(
                name: "LinkEvents");

            migrationBuilder.DropTable(
                name: "LinkMessages");

            migrationBuilder.DropTable(
                name: "Subscriptions");

            migrationBuilder.DropTable(
                name: "TeamsConversations");

            migrationBuilder.DropTable(
                name: "Announcements");

            migrationBuilder.DropTable(
                name: "InstallLinks");

            migrationBuilder.DropTable(
                name: "Builds");

            migrationBuilder.DropTable(
                name: "Apps");
        }
    }
}
