using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Ror4 : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "LastInvalid",
                table: "ror_sync_state",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "LastValidated",
                table: "ror_sync_state",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "ValidatedAtTicks",
                table: "ror_resources",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ValidationIssues",
                table: "ror_resources",
                type: "character varying(1024)",
                maxLength: 1024,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ValidationStatus",
                table: "ror_resources",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.UpdateData(
                table: "ror_sync_state",
                keyColumn: "Id",
                keyValue: 1,
                columns: new[] { "LastInvalid", "LastValidated" },
                values: new object[] { 0, 0 });

            migrationBuilder.CreateIndex(
                name: "IX_ror_resources_validation_invalid",
                table: "ror_resources",
                columns: new[] { "ResourceType", "ResourceId" },
                filter: "\"ValidationStatus\" = 'invalid'");

            migrationBuilder.CreateIndex(
                name: "IX_ror_resources_validation_pending",
                table: "ror_resources",
                columns: new[] { "ResourceType", "ResourceId" },
                filter: "\"ValidationStatus\" = 'pending'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ror_resources_validation_invalid",
                table: "ror_resources");

            migrationBuilder.DropIndex(
                name: "IX_ror_resources_validation_pending",
                table: "ror_resources");

            migrationBuilder.DropColumn(
                name: "LastInvalid",
                table: "ror_sync_state");

            migrationBuilder.DropColumn(
                name: "LastValidated",
                table: "ror_sync_state");

            migrationBuilder.DropColumn(
                name: "ValidatedAtTicks",
                table: "ror_resources");

            migrationBuilder.DropColumn(
                name: "ValidationIssues",
                table: "ror_resources");

            migrationBuilder.DropColumn(
                name: "ValidationStatus",
                table: "ror_resources");
        }
    }
}
