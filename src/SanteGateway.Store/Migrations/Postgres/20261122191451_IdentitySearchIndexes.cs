using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class IdentitySearchIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_identities_BirthNameKey_BirthDate",
                table: "identities");

            migrationBuilder.CreateIndex(
                name: "IX_identities_BirthNameKey_BirthDate_FirstNameKey_Id",
                table: "identities",
                columns: new[] { "BirthNameKey", "BirthDate", "FirstNameKey", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_identities_BirthNameKey_FirstNameKey_Id",
                table: "identities",
                columns: new[] { "BirthNameKey", "FirstNameKey", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_identities_BirthNameKey_BirthDate_FirstNameKey_Id",
                table: "identities");

            migrationBuilder.DropIndex(
                name: "IX_identities_BirthNameKey_FirstNameKey_Id",
                table: "identities");

            migrationBuilder.CreateIndex(
                name: "IX_identities_BirthNameKey_BirthDate",
                table: "identities",
                columns: new[] { "BirthNameKey", "BirthDate" });
        }
    }
}
