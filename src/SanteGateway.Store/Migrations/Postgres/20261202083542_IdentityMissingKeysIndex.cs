using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class IdentityMissingKeysIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_identities_missing_keys",
                table: "identities",
                column: "Id",
                filter: "(\"BirthNamePhonetic\" = '' AND \"BirthName\" <> '') OR (\"UsedName\" IS NOT NULL AND \"UsedNameKey\" IS NULL)");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_identities_missing_keys",
                table: "identities");
        }
    }
}
