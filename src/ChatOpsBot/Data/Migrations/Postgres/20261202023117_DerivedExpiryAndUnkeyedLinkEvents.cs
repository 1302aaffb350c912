using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatOpsBot.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class DerivedExpiryAndUnkeyedLinkEvents : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_LinkEvents_InstallLinks_LinkId",
                table: "LinkEvents");

            migrationBuilder.DropIndex(
                name: "IX_InstallLinks_ExpiredAt_ExpiresAt",
                table: "InstallLinks");

            migrationBuilder.DropColumn(
                name: "ExpiredAt",
                table: "InstallLinks");

            migrationBuilder.CreateIndex(
                name: "IX_InstallLinks_ExpiresAt",
                table: "InstallLinks",
                column: "ExpiresAt",
                filter: "\"TokenHash\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_InstallLinks_RevokedAt",
                table: "InstallLinks",
                column: "RevokedAt",
                filter: "\"TokenHash\" IS NOT NULL AND \"RevokedAt\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_InstallLinks_ExpiresAt",
                table: "InstallLinks");

            migrationBuilder.DropIndex(
                name: "IX_InstallLinks_RevokedAt",
                table: "InstallLinks");

            migrationBuilder.AddColumn<DateTime>(
                name: "ExpiredAt",
                table: "InstallLinks",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_InstallLinks_ExpiredAt_ExpiresAt",
                table: "InstallLinks",
                columns: new[] { "ExpiredAt", "ExpiresAt" });

            migrationBuilder.AddForeignKey(
                name: "FK_LinkEvents_InstallLinks_LinkId",
                table: "LinkEvents",
                column: "LinkId",
                principalTable: "InstallLinks",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);
        }
    }
}
