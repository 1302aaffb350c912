using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatOpsBot.Data.Migrations.Postgres
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
                type: "text",
                nullable: true,
                collation: "C");

            migrationBuilder.AddColumn<bool>(
                name: "Debuggable",
                table: "Builds",
                type: "boolean",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FormFactor",
                table: "Builds",
                type: "text",
                nullable: true,
                collation: "C");

            migrationBuilder.AddColumn<string>(
                name: "IconContentType",
                table: "Builds",
                type: "text",
                nullable: false,
                defaultValue: "image/png",
                collation: "C");

            migrationBuilder.AddColumn<string>(
                name: "Platform",
                table: "Builds",
                type: "text",
                nullable: false,
                defaultValue: "ios",
                collation: "C");

            migrationBuilder.AddColumn<string>(
                name: "SignersJson",
                table: "Builds",
                type: "text",
                nullable: true,
                collation: "C");

            migrationBuilder.AddColumn<int>(
                name: "TargetSdkVersion",
                table: "Builds",
                type: "integer",
                nullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "BundleId",
                table: "Apps",
                type: "text",
                nullable: true,
                collation: "C",
                oldClrType: typeof(string),
                oldType: "text",
                oldCollation: "C");

            migrationBuilder.AddColumn<string>(
                name: "AndroidPackage",
                table: "Apps",
                type: "text",
                nullable: true,
                collation: "C");
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
                type: "text",
                nullable: false,
                defaultValue: "",
                collation: "C",
                oldClrType: typeof(string),
                oldType: "text",
                oldNullable: true,
                oldCollation: "C");
        }
    }
}
