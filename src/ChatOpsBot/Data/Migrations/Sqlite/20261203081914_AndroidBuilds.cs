using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatOpsBot.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AndroidBuilds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Abis",
                table: "Builds",
                type: "TEXT",
                maxLength: 255,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "Debuggable",
                table: "Builds",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FormFactor",
                table: "Builds",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "IconContentType",
                table: "Builds",
                type: "TEXT",
                maxLength: 32,
                nullable: false,
                defaultValue: "image/png");

            migrationBuilder.AddColumn<string>(
                name: "Platform",
                table: "Builds",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "ios");

            migrationBuilder.AddColumn<string>(
                name: "SignersJson",
                table: "Builds",
                type: "TEXT",
                maxLength: 8000,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "TargetSdkVersion",
                table: "Builds",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "BundleId",
                table: "Apps",
                type: "TEXT",
                maxLength: 255,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldMaxLength: 255);

            migrationBuilder.AddColumn<string>(
                name: "AndroidPackage",
                table: "Apps",
                type: "TEXT",
                maxLength: 255,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Abis",
                table: "Builds");

            migrationBuilder.DropColumn(
                name: "Debuggable",
                table: "Builds");

            migrationBuilder.DropColumn(
                name: "FormFactor",
                table: "Builds");

            migrationBuilder.DropColumn(
                name: "IconContentType",
                table: "Builds");

            migrationBuilder.DropColumn(
                name: "Platform",
                table: "Builds");

            migrationBuilder.DropColumn(
                name: "SignersJson",
                table: "Builds");

            migrationBuilder.DropColumn(
                name: "TargetSdkVersion",
                table: "Builds");

            migrationBuilder.DropColumn(
                name: "AndroidPackage",
                table: "Apps");

            migrationBuilder.AlterColumn<string>(
                name: "BundleId",
                table: "Apps",
                type: "TEXT",
                maxLength: 255,
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldMaxLength: 255,
                oldNullable: true);
        }
    }
}
