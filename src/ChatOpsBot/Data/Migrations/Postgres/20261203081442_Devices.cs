using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace ChatOpsBot.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Devices : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "DeviceListStored",
                table: "Builds",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "BuildDevices",
                columns: table => new
                {
                    BuildId = table.Column<long>(type: "bigint", nullable: false),
                    Udid = table.Column<string>(type: "text", nullable: false, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BuildDevices", x => new { x.BuildId, x.Udid });
                    table.ForeignKey(
                        name: "FK_BuildDevices_Builds_BuildId",
                        column: x => x.BuildId,
                        principalTable: "Builds",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "DeviceHints",
                columns: table => new
                {
                    Platform = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Workspace = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    UserId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    OfferedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DeviceHints", x => new { x.Platform, x.Workspace, x.UserId });
                });

            migrationBuilder.CreateTable(
                name: "Devices",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Platform = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Workspace = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    UserId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    OwnerName = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Udid = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    UdidNormalized = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Product = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Version = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Serial = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Name = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    RegisteredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Devices", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DeviceLinks",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TokenHash = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: false),
                    Challenge = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Platform = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Workspace = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    UserId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    UserName = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UsedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    DeviceId = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DeviceLinks", x => x.Id);
                    table.ForeignKey(
                        name: "FK_DeviceLinks_Devices_DeviceId",
                        column: x => x.DeviceId,
                        principalTable: "Devices",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateIndex(
                name: "IX_DeviceLinks_DeviceId",
                table: "DeviceLinks",
                column: "DeviceId");

            migrationBuilder.CreateIndex(
                name: "IX_DeviceLinks_ExpiresAt",
                table: "DeviceLinks",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_DeviceLinks_TokenHash",
                table: "DeviceLinks",
                column: "TokenHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Devices_Platform_Workspace_UserId_UdidNormalized",
                table: "Devices",
                columns: new[] { "Platform", "Workspace", "UserId", "UdidNormalized" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Devices_UdidNormalized",
                table: "Devices",
                column: "UdidNormalized");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BuildDevices");

            migrationBuilder.DropTable(
                name: "DeviceHints");

            migrationBuilder.DropTable(
                name: "DeviceLinks");

            migrationBuilder.DropTable(
                name: "Devices");

            migrationBuilder.DropColumn(
                name: "DeviceListStored",
                table: "Builds");
        }
    }
}
