using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Import9 : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_identities_InsMatricule_InsOid",
                table: "identities");

            migrationBuilder.DropIndex(
                name: "IX_identities_UsedNameKey_FirstNameKey_Id",
                table: "identities");

            migrationBuilder.CreateIndex(
                name: "IX_identities_InsMatricule_InsOid",
                table: "identities",
                columns: new[] { "InsMatricule", "InsOid" },
                unique: true,
                filter: "\"InsMatricule\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_identities_UsedNameKey_FirstNameKey_Id",
                table: "identities",
                columns: new[] { "UsedNameKey", "FirstNameKey", "Id" },
                filter: "\"UsedNameKey\" IS NOT NULL")
                .Annotation("Npgsql:IndexInclude", new[] { "BirthNameKey", "MergedIntoId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_identities_InsMatricule_InsOid",
                table: "identities");

            migrationBuilder.DropIndex(
                name: "IX_identities_UsedNameKey_FirstNameKey_Id",
                table: "identities");

            migrationBuilder.CreateIndex(
                name: "IX_identities_InsMatricule_InsOid",
                table: "identities",
                columns: new[] { "InsMatricule", "InsOid" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_identities_UsedNameKey_FirstNameKey_Id",
                table: "identities",
                columns: new[] { "UsedNameKey", "FirstNameKey", "Id" })
                .Annotation("Npgsql:IndexInclude", new[] { "BirthNameKey", "MergedIntoId" });
        }
    }
}
