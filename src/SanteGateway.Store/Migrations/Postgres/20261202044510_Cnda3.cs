using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Cnda3 : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Establishment",
                table: "inbound_partners",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Establishment",
                table: "batch_jobs",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Establishment",
                table: "api_keys",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Establishment",
                table: "inbound_partners");

            migrationBuilder.DropColumn(
                name: "Establishment",
                table: "batch_jobs");

            migrationBuilder.DropColumn(
                name: "Establishment",
                table: "api_keys");
        }
    }
}
