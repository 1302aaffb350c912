using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatOpsBot.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LinksForBothPhones : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "BuildId",
                table: "LinkDownloads",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "SecondBuildId",
                table: "InstallLinks",
                type: "bigint",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_InstallLinks_SecondBuildId",
                table: "InstallLinks",
                column: "SecondBuildId",
                filter: "\"SecondBuildId\" IS NOT NULL");

            migrationBuilder.AddForeignKey(
                name: "FK_InstallLinks_Builds_SecondBuildId",
                table: "InstallLinks",
                column: "SecondBuildId",
                principalTable: "Builds",
                principalColumn: "Id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_InstallLinks_Builds_SecondBuildId",
                table: "InstallLinks");

            migrationBuilder.DropIndex(
                name: "IX_InstallLinks_SecondBuildId",
                table: "InstallLinks");

            migrationBuilder.DropColumn(
                name: "BuildId",
                table: "LinkDownloads");

            migrationBuilder.DropColumn(
                name: "SecondBuildId",
                table: "InstallLinks");
        }
    }
}
