using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Search6 : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_identities_BirthNameKey_FirstNameKey_Id",
                table: "identities");

            migrationBuilder.DropIndex(
                name: "IX_identities_UsedNameKey_FirstNameKey_Id",
                table: "identities");

            migrationBuilder.CreateIndex(
                name: "IX_identities_BirthNameKey_FirstNameKey_Id",
                table: "identities",
                columns: new[] { "BirthNameKey", "FirstNameKey", "Id" })
                .Annotation("Npgsql:IndexInclude", new[] { "MergedIntoId" });

            migrationBuilder.CreateIndex(
                name: "IX_identities_UsedNameKey_FirstNameKey_Id",
                table: "identities",
                columns: new[] { "UsedNameKey", "FirstNameKey", "Id" })
                .Annotation("Npgsql:IndexInclude", new[] { "BirthNameKey", "MergedIntoId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_identities_BirthNameKey_FirstNameKey_Id",
                table: "identities");

            migrationBuilder.DropIndex(
                name: "IX_identities_UsedNameKey_FirstNameKey_Id",
                table: "identities");

            migrationBuilder.CreateIndex(
                name: "IX_identities_BirthNameKey_FirstNameKey_Id",
                table: "identities",
                columns: new[] { "BirthNameKey", "FirstNameKey", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_identities_UsedNameKey_FirstNameKey_Id",
                table: "identities",
                columns: new[] { "UsedNameKey", "FirstNameKey", "Id" });
        }
    }
}
